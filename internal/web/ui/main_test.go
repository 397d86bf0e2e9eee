package ui_test

import (
	"os"
	"testing"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMain says once, at the end, when the browser test skipped.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
