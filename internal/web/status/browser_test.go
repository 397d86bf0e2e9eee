package status_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestBrowserPublicPage opens the public page in a real browser without
// a login: the stylesheet applies under the server's Content-Security-
// Policy, every bar is drawn with its text hidden from sight but present,
// and the feeds are announced.
func TestBrowserPublicPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	path := testkit.Chromium(t)
	e := newEnv(t, nil)
	ctx := testkit.Browser(t, path, 20*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.HTTP.URL+"/status/acme"), chromedp.WaitVisible(chromedp.CSS(`ol.bars`))); err != nil {
		t.Fatalf("browser: %v", err)
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluating %s: %v", js, err)
		}
		return s
	}
	bars := eval(`String(document.querySelectorAll('ol.bars li').length)`)
	feeds := eval(`String(document.querySelectorAll('link[rel=alternate]').length)`)
	banner := eval(`document.querySelector('.banner').textContent`)
	bannerBG := eval(`getComputedStyle(document.querySelector('.banner')).backgroundColor`)
	barWidth := eval(`String(document.querySelector('ol.bars li').getBoundingClientRect().width > 0)`)
	srWidth := eval(`String(document.querySelector('ol.bars li .sr').getBoundingClientRect().width)`)
	title := eval(`document.title`)
	if title != "Acme status" {
		t.Errorf("title %q", title)
	}
	if bars != "180" || feeds != "3" || banner != "Major outage" {
		t.Errorf("bars %s, alternate links %s, banner %q", bars, feeds, banner)
	}
	if bannerBG == "rgba(0, 0, 0, 0)" || bannerBG == "" {
		t.Errorf("the stylesheet did not apply: banner background %q", bannerBG)
	}
	if barWidth != "true" || srWidth != "1" {
		t.Errorf("bar drawn %s, hidden text width %s", barWidth, srWidth)
	}
}
