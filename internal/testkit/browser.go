package testkit

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserEnv, set to "required" (CI does), makes a missing chromium fail
// the browser tests instead of skipping them.
const BrowserEnv = "TOCSIN_TEST_BROWSER"

// Chromium returns the path of Debian's chromium, found in PATH; when there
// is none it skips t, or fails it when BrowserEnv requires a browser.
func Chromium(t *testing.T) string {
	t.Helper()
	need := Need{
		Missing: "chromium not found in PATH",
		Fix:     "install it (apt-get install -y chromium) to run the browser test",
	}
	switch v := os.Getenv(BrowserEnv); v {
	case "":
	case "required":
		need.RequiredBy = BrowserEnv + "=required"
	default:
		t.Fatalf("%s=%q: the only value it takes is \"required\"", BrowserEnv, v)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		need.Unmet(t, err)
	}
	return path
}

// Browser starts a headless chromium at chromiumPath for t; it ends with
// the test, or after timeout.
func Browser(t *testing.T, chromiumPath string, timeout time.Duration) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), ChromiumOptions(chromiumPath, t.TempDir())...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// ChromiumOptions are the flags headless chromium runs with in the browser
// tests and the screenshot command: no sandbox (it runs as root in
// containers), no GPU, nothing fetched in the background, and a profile of
// its own in userDataDir.
func ChromiumOptions(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(userDataDir),
	}
}
