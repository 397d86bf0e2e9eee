package config_test

import (
	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

func init() { config.UseKinds(probekinds.Config()) }
