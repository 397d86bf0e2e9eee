package status_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/status"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

type activeList []status.ActiveIncident

func (a activeList) Active(context.Context, config.StatusPage) ([]status.ActiveIncident, error) {
	return a, nil
}

// TestSubscribersOnTheAdminPage: the admin page counts a page's
// subscribers, lists them and removes one; the API counts them too.
func TestSubscribersOnTheAdminPage(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		o.Runtime.(*webtest.Runtime).Cfg.StatusPages[0].Subscriptions = &config.StatusSubscriptions{Webhooks: true}
	})
	ctx := t.Context()
	var ids []int64
	for i, addr := range []string{"https://hooks.example.com/a", "https://hooks.example.com/b"} {
		h := sha256.Sum256([]byte(addr))
		s, err := e.Store.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: store.SubscriberWebhook, Address: addr},
			store.SubscriberToken{Hash: h[:], Purpose: store.TokenConfirm}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := e.Store.ConfirmSubscriber(ctx, h[:], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, s.ID)
	}
	c := e.Setup()
	r := e.Get(c, "/status-pages")
	if !strings.Contains(r.Body, "1 confirmed, 1 waiting for their confirmation") || !strings.Contains(r.Body, "https://hooks.example.com/b") {
		t.Fatalf("admin page:\n%s", r.Body)
	}
	tok := e.Token(c, "t")
	if r := e.Do(e.Client(), "GET", "/api/v1/status-pages", nil, webtest.Bearer(tok)); !strings.Contains(strings.Join(strings.Fields(r.Body), ""), `"subscribers":{"pending":1,"confirmed":1}`) {
		t.Errorf("API list: %s", r.Body)
	}
	if r := e.PostForm(c, fmt.Sprintf("/status-pages/public/subscribers/%d/delete", ids[0]), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if r := e.PostForm(c, fmt.Sprintf("/status-pages/public/subscribers/%d/delete", ids[0]), nil); r.Status != http.StatusNotFound {
		t.Errorf("remove twice: %d, want 404", r.Status)
	}
	if r := e.PostForm(c, fmt.Sprintf("/status-pages/other/subscribers/%d/delete", ids[1]), nil); r.Status != http.StatusNotFound {
		t.Errorf("remove from an unknown page: %d, want 404", r.Status)
	}
	if r := e.Get(c, "/status-pages"); !strings.Contains(r.Body, "0 confirmed, 1 waiting") || strings.Contains(r.Body, "https://hooks.example.com/a") {
		t.Errorf("after removing:\n%s", r.Body)
	}
	if r := e.PostForm(e.Client(), fmt.Sprintf("/status-pages/public/subscribers/%d/delete", ids[1]), nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "login") {
		t.Errorf("remove without a login: %d %s", r.Status, r.Header.Get("Location"))
	}
}

// TestActiveIncidentsOnTop: the incidents under way are above the
// components, named by the components they touch, in the HTML and JSON.
func TestActiveIncidentsOnTop(t *testing.T) {
	at := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *web.Options) {
		o.StatusIncidents = activeList{
			{Status: "identified", Message: "Exports are slow; a fix is coming.", Updated: at.Add(time.Hour), Started: at, Services: []string{"mail"}},
			{Status: "investigating", Message: "Not on this page.", Updated: at, Started: at, Services: []string{"elsewhere"}},
		}
	})
	r := e.Get(e.Client(), "/status/acme")
	ai, ci := strings.Index(r.Body, "Active incidents"), strings.Index(r.Body, ">Components<")
	if ai < 0 || ai > ci || !strings.Contains(r.Body[ai:ci], "Exports are slow; a fix is coming.") || !strings.Contains(r.Body[ai:ci], "Back office") ||
		!strings.Contains(r.Body[ai:ci], "Identified") || strings.Contains(r.Body, "Not on this page.") {
		t.Errorf("page:\n%s", r.Body)
	}
	if strings.Contains(r.Body, "Get updates") {
		t.Error("a page without subscriptions offers them")
	}
	got := getJSON(t, e).Incidents
	if len(got) != 1 || got[0].Status != "identified" || len(got[0].Components) != 1 || got[0].Components[0] != "Back office" || !got[0].Started.Equal(at) {
		t.Errorf("JSON incidents = %+v", got)
	}
}
