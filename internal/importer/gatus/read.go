// Package gatus imports a Gatus configuration file: endpoints become
// monitors with their conditions as expectations, alerting providers
// become channels, groups become services, external endpoints become
// heartbeats and maintenance windows stay maintenance windows.
package gatus

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the file read: a Gatus configuration with tens of
// thousands of endpoints is a few MiB.
const MaxFileSize = 32 << 20

// Config is the part of a Gatus configuration the importer reads.
type Config struct {
	Endpoints         []Endpoint           `yaml:"endpoints"`
	ExternalEndpoints []External           `yaml:"external-endpoints"`
	Alerting          map[string]yaml.Node `yaml:"alerting"`
	Maintenance       *Window              `yaml:"maintenance"`
	Suites            []struct {
		Name  string `yaml:"name"`
		Group string `yaml:"group"`
	} `yaml:"suites"`
	// Other holds the sections the importer has no counterpart for.
	Other map[string]yaml.Node `yaml:",inline"`
}

// Endpoint is one entry of `endpoints:`.
type Endpoint struct {
	Enabled    *bool             `yaml:"enabled"`
	Name       string            `yaml:"name"`
	Group      string            `yaml:"group"`
	URL        string            `yaml:"url"`
	Method     string            `yaml:"method"`
	Conditions []string          `yaml:"conditions"`
	Interval   string            `yaml:"interval"`
	GraphQL    bool              `yaml:"graphql"`
	Body       string            `yaml:"body"`
	Headers    map[string]string `yaml:"headers"`
	DNS        *struct {
		QueryType string `yaml:"query-type"`
		QueryName string `yaml:"query-name"`
	} `yaml:"dns"`
	SSH *struct {
		Username string `yaml:"username"`
		Password string `yaml:"password"`
	} `yaml:"ssh"`
	Alerts             []Alert              `yaml:"alerts"`
	MaintenanceWindows []Window             `yaml:"maintenance-windows"`
	Client             *Client              `yaml:"client"`
	Other              map[string]yaml.Node `yaml:",inline"`
}

// Client is an endpoint's `client:` block.
type Client struct {
	Insecure       bool                 `yaml:"insecure"`
	IgnoreRedirect bool                 `yaml:"ignore-redirect"`
	Timeout        string               `yaml:"timeout"`
	Other          map[string]yaml.Node `yaml:",inline"`
}

// Alert is one entry of an endpoint's `alerts:`.
type Alert struct {
	Type             string `yaml:"type"`
	Enabled          *bool  `yaml:"enabled"`
	FailureThreshold int    `yaml:"failure-threshold"`
	SuccessThreshold int    `yaml:"success-threshold"`
	SendOnResolved   *bool  `yaml:"send-on-resolved"`
	Description      string `yaml:"description"`
}

// Window is a maintenance window, global or of one endpoint.
type Window struct {
	Enabled  *bool    `yaml:"enabled"`
	Start    string   `yaml:"start"`
	Duration string   `yaml:"duration"`
	Timezone string   `yaml:"timezone"`
	Every    []string `yaml:"every"`
}

// External is one entry of `external-endpoints:`.
type External struct {
	Enabled   *bool   `yaml:"enabled"`
	Name      string  `yaml:"name"`
	Group     string  `yaml:"group"`
	Token     string  `yaml:"token"`
	Alerts    []Alert `yaml:"alerts"`
	Heartbeat struct {
		Interval string `yaml:"interval"`
	} `yaml:"heartbeat"`
}

// Read reads a Gatus configuration from r: at most MaxFileSize bytes, one
// YAML document. Environment variables are not expanded: ${NAME} stays
// for Tocsin to expand in its turn.
func Read(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("the file is larger than the %d MiB limit", MaxFileSize>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("not a Gatus configuration: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.New("the file holds more than one YAML document; Gatus reads one")
	}
	if len(cfg.Endpoints) == 0 && len(cfg.ExternalEndpoints) == 0 {
		return nil, errors.New("no endpoints: not a Gatus configuration, or one that watches nothing")
	}
	return &cfg, nil
}
