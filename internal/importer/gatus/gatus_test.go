package gatus

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/importer"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if the change is right:\n%s", name, d)
	}
}

func importFile(t *testing.T, path string) (*importer.Fragment, importer.Notes) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return Map(cfg, Options{Source: filepath.Base(path)})
}

// TestGolden imports the fixture, written by hand from Gatus's README,
// and compares the file and the notes with what a person checked.
func TestGolden(t *testing.T) {
	frag, notes := importFile(t, "testdata/config.yaml")
	doc, err := importer.Write(frag)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "config.golden.yaml", doc)
	var b bytes.Buffer
	for _, n := range notes {
		b.WriteString(n.String() + "\n")
	}
	golden(t, "config.notes.txt", b.Bytes())

	// The same source gives the same bytes.
	again, _ := importFile(t, "testdata/config.yaml")
	doc2, _ := importer.Write(again)
	if !bytes.Equal(doc, doc2) {
		t.Error("two imports of the same file differ")
	}
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		cond string
		want []string
	}{
		{"[STATUS] == 200", []string{"200"}},
		{"[STATUS] < 300", []string{"100-299"}},
		{"[STATUS] >= 500", []string{"500-599"}},
		{"[STATUS] != 404", []string{"100-403", "405-599"}},
		{"[STATUS] == any(200, 204)", []string{"200", "204"}},
		{"[STATUS] == pat(2*)", []string{"200-299"}},
	} {
		set, ok := statusCodes(parseConditions([]string{tc.cond})[0])
		if !ok {
			t.Errorf("%s: not mapped", tc.cond)
			continue
		}
		if got := ranges(set); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.cond, got, tc.want)
		}
	}
	if _, ok := statusCodes(parseConditions([]string{"[STATUS] == abc"})[0]); ok {
		t.Error("a status condition that is not a number was mapped")
	}
	if got := envRefs("Bearer $TOKEN and ${OTHER}"); got != "Bearer ${TOKEN} and ${OTHER}" {
		t.Errorf("envRefs: %q", got)
	}
}

// TestBadInput: hostile and broken files get a clear error.
func TestBadInput(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
		prev = name
	}
	laughs += "endpoints: [{name: x, url: 'https://x', conditions: *" + prev + "}]\n"
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "  \n", "the file is empty"},
		{"not yaml", "endpoints: [", "not a Gatus configuration"},
		{"wrong type", "endpoints: {name: x}", "cannot unmarshal"},
		{"wrong type deep", "endpoints:\n  - name: x\n    conditions: 3\n", "cannot unmarshal"},
		{"cyclic anchor", "endpoints: &e\n  - name: x\n    url: *e\n", "not a Gatus configuration"},
		{"billion laughs", laughs, "not a Gatus configuration"},
		{"two documents", "endpoints: [{name: a, url: 'https://a'}]\n---\nx: 1\n", "more than one YAML document"},
		{"no endpoints", "storage: {type: memory}\n", "no endpoints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A file past the limit is refused before it is parsed.
	huge := io.MultiReader(strings.NewReader("endpoints:\n"), io.LimitReader(spaces{}, MaxFileSize))
	if _, err := Read(huge); err == nil || !strings.Contains(err.Error(), "larger than the 32 MiB limit") {
		t.Errorf("a huge file: %v", err)
	}
}

// spaces reads as an endless run of blanks.
type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
