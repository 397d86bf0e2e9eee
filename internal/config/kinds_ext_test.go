package config_test

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

// The tests read configurations with every monitor type and channel type,
// as the program does.
func init() { config.UseKinds(channels.Config(probekinds.Config())) }
