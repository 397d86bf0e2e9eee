package testkit

import "github.com/chromedp/chromedp"

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
