package ui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webcore"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// memAgents keeps agents in memory for the pages.
type memAgents struct {
	mu   sync.Mutex
	list []webcore.AgentView
}

func (m *memAgents) Agents(context.Context) ([]webcore.AgentView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]webcore.AgentView(nil), m.list...), nil
}

func (m *memAgents) CreateAgent(_ context.Context, id, location string) (webcore.AgentView, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if location == "" {
		location = id
	}
	for _, a := range m.list {
		if a.ID == id && a.RevokedAt.IsZero() {
			return webcore.AgentView{}, "", errs.Errorf(errs.ECONFLICT, "an agent %q exists already", id)
		}
	}
	a := webcore.AgentView{ID: id, Location: location, CreatedAt: time.Now()}
	m.list = append(m.list, a)
	return a, "tocsin_agent-" + id + "-0123456789abcdef", nil
}

func (m *memAgents) RevokeAgent(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, a := range m.list {
		if a.ID == id && a.RevokedAt.IsZero() {
			m.list[i].RevokedAt = time.Now()
			return nil
		}
	}
	return errs.Errorf(errs.ENOTFOUND, "no agent %q", id)
}

// TestBrowserAgents creates an agent token on the agents page in a real
// browser, sees the token once and the agent listed, and revokes it.
func TestBrowserAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, func(o *web.Options) { o.Agents = &memAgents{} })
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/agents"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="id"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), "db-01"),
		chromedp.SendKeys(chromedp.CSS(`input[name="location"]`), "campus"),
	}
	actions = append(actions, submitted(`input[name="id"]`)...)
	actions = append(actions, chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	if got := text(`#new-token`); !strings.HasPrefix(got, "tocsin_agent-db-01-") {
		t.Errorf("token shown: %q", got)
	}
	if got := text(`tr[data-agent="db-01"]`); !strings.Contains(got, "campus") || !strings.Contains(got, "never") {
		t.Errorf("listed agent: %q", got)
	}
	if err := chromedp.Do(ctx, submitted(`tr[data-agent="db-01"] form button`)...); err != nil {
		t.Fatalf("browser: revoking: %v", err)
	}
	if got := text(`tr[data-agent="db-01"]`); !strings.Contains(got, "revoked") {
		t.Errorf("after revoking: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#new-token').length`)); err != nil || n != 0 {
		t.Errorf("the token is shown again after revoking (%d, %v)", n, err)
	}
}
