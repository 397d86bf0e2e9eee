package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/store"
)

// TestBrowserUsers: an administrator opens the users page from the
// navigation in a real browser, changes a viewer into a responder with
// the form of that user's row and sees the new role; demoting the last
// administrator shows why it is refused.
func TestBrowserUsers(t *testing.T) {
	e, ctx := adminBrowser(t, nil)
	if _, err := e.Store.CreateUser(t.Context(), store.User{Name: "vera", PasswordHash: "x", Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string { t.Helper(); return elementText(t, ctx, sel) }
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-user="vera"] select[name="role"]`)),
		chromedp.SetValue(chromedp.CSS(`tr[data-user="vera"] select[name="role"]`), "responder"),
	}
	actions = append(actions, submitted(`tr[data-user="vera"] select[name="role"]`)...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: changing vera's role: %v", err)
	}
	if got := text(`#users-changed`); got != "vera is now responder." {
		t.Errorf("message after the change: %q", got)
	}
	if got := text(`tr[data-user="vera"] td.role`); got != "responder" {
		t.Errorf("vera's role on the page: %q", got)
	}
	if u, err := e.Store.UserByName(t.Context(), "vera"); err != nil || u.Role != store.RoleResponder {
		t.Errorf("vera in the store: %+v, %v", u, err)
	}

	actions = []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`tr[data-user="admin"] select[name="role"]`), "viewer"),
	}
	actions = append(actions, submitted(`tr[data-user="admin"] select[name="role"]`)...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: demoting the last administrator: %v", err)
	}
	if got := text(`#users-error`); !strings.Contains(got, "admin is the last administrator") {
		t.Errorf("refusal shown: %q", got)
	}
	if got := text(`tr[data-user="admin"] td.role`); got != "admin" {
		t.Errorf("admin's role on the page after the refusal: %q", got)
	}
}
