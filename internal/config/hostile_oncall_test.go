package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestDependencyCyclesAreBounded feeds a long chain of services that loops
// back on itself, and many services that close cycles with it: the long
// cycle is named once in full, and only the first few cycles are named.
func TestDependencyCyclesAreBounded(t *testing.T) {
	const n = 20_000
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, depends_on: [s%d]}\n", i, (i+1)%n)
	}
	for i := range 500 {
		fmt.Fprintf(&b, "  - {id: x%d, depends_on: [s0]}\n  - {id: y%d, depends_on: [x%d]}\n", i, i, i)
	}
	b.WriteString("  - {id: a, depends_on: [b]}\n  - {id: b, depends_on: [a, s1]}\n")
	_, err := Parse([]byte(b.String()), "cycles.yaml", testKinds)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse = %v, want config.Errors", err)
	}
	if len(es) != 2 {
		t.Fatalf("%d errors, want the chain's cycle and a <-> b:\n%.2000s", len(es), err)
	}
	if !strings.HasPrefix(es[0].Message, "depends_on cycle: s0 -> s1 -> s2 -> ") || !strings.HasSuffix(es[0].Message, " -> s19999 -> s0") {
		t.Errorf("the long cycle: %.200s ... %s", es[0].Message, es[0].Message[len(es[0].Message)-40:])
	}
	if es[1].Message != "depends_on cycle: a -> b -> a" {
		t.Errorf("second cycle: %q", es[1].Message)
	}

	// Many separate cycles: only the first maxCycles are named.
	b.Reset()
	b.WriteString("services:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {id: p%d, depends_on: [q%d]}\n  - {id: q%d, depends_on: [p%d]}\n", i, i, i, i)
	}
	_, err = Parse([]byte(b.String()), "many.yaml", testKinds)
	if !errors.As(err, &es) || len(es) != maxCycles {
		t.Fatalf("%d errors, want %d", len(es), maxCycles)
	}
}

// TestLongTagListsAreLinear checks a list of many tags, with one repeated
// at the end: one error, for the repeat.
func TestLongTagListsAreLinear(t *testing.T) {
	tags := make([]string, 0, 200_001)
	for i := range 200_000 {
		tags = append(tags, fmt.Sprintf("t%d", i))
	}
	tags = append(tags, "t7")
	_, err := Parse([]byte("services:\n  - id: s\n    tags: ["+strings.Join(tags, ",")+"]\n"), "tags.yaml", testKinds)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Message != `tag "t7" is listed twice` {
		t.Fatalf("Parse = %.300v", err)
	}
}
