package testkit

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// childMode tells this test binary, run again by TestUnmetNeed, to run
// TestUnmetNeedChild with its need optional or required.
const childMode = "TOCSIN_TESTKIT_ENVSKIP_CHILD"

// TestUnmetNeedChild has three tests need something missing. It does
// nothing unless TestUnmetNeed runs it in a child process.
func TestUnmetNeedChild(t *testing.T) {
	mode := os.Getenv(childMode)
	if mode == "" {
		return
	}
	need := Need{Missing: "the widget not reachable at w://here", Fix: "start the widget"}
	if mode == "required" {
		need.RequiredBy = "WIDGET=required"
	}
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			need.Unmet(t, errors.New("connection refused"))
			t.Error("Unmet returned")
		})
	}
}

// TestUnmetNeed runs TestUnmetNeedChild in a child process both ways: with
// the need optional the run passes and says once, at the end, how many tests
// skipped and why; with it required the run fails, naming what is missing,
// what required it and how to provide it.
func TestUnmetNeed(t *testing.T) {
	run := func(mode string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnmetNeedChild$")
		cmd.Env = append(os.Environ(), childMode+"="+mode)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("optional")
	if err != nil {
		t.Fatalf("optional need: the run failed: %v\n%s", err, out)
	}
	const line = "3 tests skipped: the widget not reachable at w://here; start the widget\n"
	if strings.Count(out, "skipped") != 1 || !strings.Contains(out, line) {
		t.Errorf("optional need: want the one line %q, got:\n%s", line, out)
	}

	out, err = run("required")
	if err == nil {
		t.Fatalf("required need: the run passed:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestUnmetNeedChild/a",
		"the widget not reachable at w://here: connection refused",
		"WIDGET=required, so this test must run: start the widget",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("required need: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "skipped") {
		t.Errorf("required need: something skipped:\n%s", out)
	}
}
