package icmp

import (
	"os"
	"testing"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMain says once, at the end, when tests skipped for want of ICMP.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
