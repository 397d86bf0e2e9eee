package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxMonitorSize is the largest single monitor definition ParseMonitor
// accepts: far more than any monitor needs.
const MaxMonitorSize = 64 << 10

// ParseMonitor checks one monitor written in the configuration's own
// schema (YAML, or JSON, which is YAML too) the way Load checks a monitor
// of the file: the same decoding, defaults and rules, with the same
// messages. Its service and channels must be defined in base. name is
// used in error messages.
//
// The definition comes from outside the server, so it may not reach into
// the server: ${NAME} references are not read from the environment, and
// *_file keys read no file. On problems it returns Errors, each with its
// path below the monitor ("http.url", "interval") and its line and column
// in data.
func ParseMonitor(data []byte, name string, kinds Kinds, base *Config) (Monitor, error) {
	if len(data) > MaxMonitorSize {
		return Monitor{}, Errors{{File: name, Message: fmt.Sprintf("the monitor is %d bytes, more than the %d KiB limit", len(data), MaxMonitorSize>>10)}}
	}
	if err := singleMapping(data); err != nil {
		return Monitor{}, Errors{{File: name, Message: err.Error()}}
	}
	// Wrapped as the only item of a file's monitors: every line moves down
	// one and right two, which the errors undo.
	var doc strings.Builder
	doc.WriteString("monitors:\n")
	for i, line := range strings.Split(strings.TrimRight(string(data), "\r\n"), "\n") {
		if i == 0 {
			doc.WriteString("- ")
		} else {
			doc.WriteString("  ")
		}
		doc.WriteString(line)
		doc.WriteByte('\n')
	}
	l := newLoader(name, "", kinds)
	l.noInclude = true
	l.lookupEnv = func(string) (string, bool) { return "", false }
	l.readFile = func(string) ([]byte, error) { return nil, errNoFiles }
	m, ok := l.parseMonitor([]byte(doc.String()), base)
	if ok {
		return m, nil
	}
	errs := l.fail().(Errors)
	for i := range errs {
		e := &errs[i]
		e.Path = strings.TrimPrefix(strings.TrimPrefix(e.Path, "monitors[0]"), ".")
		e.ID = ""
		if e.Line > 1 {
			e.Line--
			e.Column = max(e.Column-2, 1)
		}
		if strings.HasPrefix(e.Message, "environment variable ") && strings.HasSuffix(e.Message, " is not set") {
			e.Message = "${NAME} references are not read from the server's environment for this monitor; write $$ for a literal dollar sign"
		}
	}
	return Monitor{}, errs
}

// errNoFiles is why a monitor checked by ParseMonitor reads no file.
var errNoFiles = errors.New("a monitor created through the API reads no file on the server; give the value itself")

// singleMapping reports what keeps data from being one YAML mapping.
func singleMapping(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the monitor is empty")
		}
		return fmt.Errorf("the monitor is not valid YAML or JSON: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("write one monitor, as one YAML document or JSON object")
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("the monitor must be a mapping of its keys (id, type, ...), not %s", describeNode(doc))
	}
	return nil
}

// parseMonitor decodes a file holding one monitor and checks it as
// validate checks the monitors of a file, against base's services,
// channels and server settings.
func (l *loader) parseMonitor(data []byte, base *Config) (Monitor, bool) {
	cfg, err := l.decodeFile(data)
	if err != nil || cfg == nil {
		if err != nil {
			l.errs = append(l.errs, Error{Message: err.Error()})
		}
		return Monitor{}, false
	}
	if len(cfg.Monitors) != 1 {
		l.errs = append(l.errs, Error{Message: "write one monitor, as one YAML document or JSON object"})
		return Monitor{}, false
	}
	l.checked = len(l.errs)
	l.applyDefaults(cfg)
	m := &cfg.Monitors[0]
	services := make(map[string]string, len(base.Services))
	for _, s := range base.Services {
		services[s.ID] = "services"
	}
	channels := make(map[string]string, len(base.Channels))
	for _, c := range base.Channels {
		channels[c.ID] = "channels"
	}
	l.checkID("monitors[0].id", m.ID)
	l.validateAgents(&Config{Server: base.Server, Monitors: cfg.Monitors})
	l.validateMonitor(m, "monitors[0]", services, channels)
	if len(l.errs) > 0 {
		l.dropShadowed()
		return Monitor{}, false
	}
	return *m, true
}

// MonitorFields returns m as the keys a configuration file writes for it,
// its type's block under the type's name: marshalled as YAML, it reads
// back as the same monitor.
func MonitorFields(m Monitor) (map[string]any, error) {
	m.Raw = nil
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("monitor %q: %w", m.ID, err)
	}
	var fields map[string]any
	if err := yaml.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("monitor %q: %w", m.ID, err)
	}
	if m.Block != nil {
		fields[m.Type] = m.Block
	}
	return fields, nil
}
