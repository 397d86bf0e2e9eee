package channels_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/notify/channels"
)

// TestReferenceDocumentsEveryChannelKey keeps docs/configuration.md
// complete for the channel kinds: every type is named and every key of
// every block is described, as config's own coverage test does for the
// keys config declares.
func TestReferenceDocumentsEveryChannelKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	oncall, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "oncall.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	described := func(key string) bool {
		q := "`" + key + "`"
		return strings.Contains(text, "| "+q) || strings.Contains(text, "# "+q) || strings.Contains(text, ", "+q)
	}
	kinds := channels.All()
	for _, name := range kinds.Names() {
		if !described(name) {
			t.Errorf("docs/configuration.md does not describe the channel type %q", name)
		}
		if name != "webhook" && name != "email" && name != "inbox" && !strings.Contains(string(oncall), "    "+name+":") {
			t.Errorf("docs/oncall.md has no example of a %s channel", name)
		}
		b, ok := kinds.NewChannelBlock(name)
		if !ok {
			continue
		}
		for _, key := range yamlKeys(reflect.TypeOf(b).Elem()) {
			if !described(key) {
				t.Errorf("docs/configuration.md does not describe the key %q of %s channels", key, name)
			}
		}
	}
}

// yamlKeys lists the yaml keys of a struct, inline structs included.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case opts == "inline" && f.Type.Kind() == reflect.Struct:
			out = append(out, yamlKeys(f.Type)...)
		case name != "" && name != "-":
			out = append(out, name)
		}
	}
	return out
}

// TestOncallExamplesLoad: every YAML example of docs/oncall.md's Channels
// section is a valid configuration, with the secret files it names.
func TestOncallExamplesLoad(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "oncall.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Channels\n")
	if !ok {
		t.Fatal("docs/oncall.md has no Channels section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	secrets := map[string]string{
		"/run/secrets/pagerduty-routing-key": "0123456789abcdef0123456789abcdef",
		"/run/secrets/twilio-auth-token":     "twilio-token",
	}
	n := 0
	for _, block := range strings.Split(section, "```yaml\n")[1:] {
		example, _, _ := strings.Cut(block, "```")
		files := map[string]string{}
		for path, value := range secrets {
			if strings.Contains(example, path) {
				name := filepath.Base(path)
				example = strings.ReplaceAll(example, path, name)
				files[name] = value
			}
		}
		n++
		if _, err := load(t, example, files); err != nil {
			t.Errorf("example\n%s\ndoes not load: %v", example, err)
		}
	}
	if n < 15 {
		t.Errorf("found %d examples, want one per channel type", n)
	}
}
