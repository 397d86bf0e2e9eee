package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// allKeys returns every YAML key of the configuration format.
func allKeys() []string {
	seen := map[string]bool{}
	var keys []string
	for _, t := range configTypes(testKinds) {
		for i := range t.NumField() {
			if name := yamlName(t.Field(i)); name != "" && !seen[name] {
				seen[name] = true
				keys = append(keys, name)
			}
		}
	}
	return keys
}

// TestFullExampleShowsEveryKey keeps examples/full.yaml complete: every key
// of the format appears in it, written out or in a comment.
func TestFullExampleShowsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range allKeys() {
		if !regexp.MustCompile(`(?m)^[ #-]*` + regexp.QuoteMeta(key) + `:`).Match(data) {
			t.Errorf("examples/full.yaml does not show the key %q", key)
		}
	}
}

// TestReferenceDocumentsEveryKey keeps docs/configuration.md complete.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range allKeys() {
		// A table row, a heading, or a row naming several blocks.
		q := "`" + key + "`"
		if !strings.Contains(text, "| "+q) && !strings.Contains(text, "# "+q) && !strings.Contains(text, ", "+q) {
			t.Errorf("docs/configuration.md does not describe the key %q", key)
		}
	}
}
