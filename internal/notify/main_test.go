package notify_test

import (
	"os"
	"testing"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMain says once, at the end, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
