package app

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// cliEnv runs the command line with TOCSIN_URL and TOCSIN_TOKEN set.
func cliEnv(t *testing.T, url, token string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		switch k {
		case "TOCSIN_URL":
			return url
		case "TOCSIN_TOKEN":
			return token
		}
		return ""
	}}
	code := Main(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// waitTransition waits until the store holds a transition of the monitor
// to want, newer than after: the notifications it caused were written in
// the same transaction.
func waitTransition(t *testing.T, st store.Store, id string, want monitor.Status, after time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ts, err := st.Transitions(t.Context(), id, store.Page{Limit: 1})
		if err == nil && len(ts) == 1 && ts[0].To == want && ts[0].Time.After(after) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no transition of %q to %s stored", id, want)
}

func countEvents(t *testing.T, st store.Store, id, event string) int {
	t.Helper()
	ms, err := st.OutboxMessages(t.Context(), id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Event.Event == event {
			n++
		}
	}
	return n
}

// TestMaintenanceEndToEnd puts a service in maintenance with the command
// line against a running server, lets its monitor fail, and finds the
// transition stored but no notification; ending the window with the
// command line, the monitor (still down) notifies once, by webhook. A
// silence made and expired with the command line goes through the same
// server. On each database.
func TestMaintenanceEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			waitState(t, r.app, "site", monitor.StatusUp)

			code, out, errOut := cliEnv(t, r.url, token, "maintenance", "add", "--service", "web", "--duration", "1h", "--reason", "moving racks")
			if code != 0 || !strings.Contains(out, "maintenance window 1: service=web") {
				t.Fatalf("maintenance add: exit %d: %s%s", code, out, errOut)
			}
			code, out, _ = cliEnv(t, r.url, token, "maintenance", "list")
			if code != 0 || !strings.Contains(out, "active") || !strings.Contains(out, "moving racks") {
				t.Errorf("maintenance list: exit %d:\n%s", code, out)
			}
			failedAt := time.Now().UTC()
			target.SetFailing(true)
			waitTransition(t, st, "site", monitor.StatusDown, failedAt.Add(-time.Second))
			if n := countEvents(t, st, "site", "monitor.down"); n != 0 {
				t.Fatalf("%d monitor.down notifications stored during maintenance, want none", n)
			}

			if code, out, errOut := cliEnv(t, r.url, token, "maintenance", "end", "1"); code != 0 || !strings.Contains(out, "maintenance window 1 ended") {
				t.Fatalf("maintenance end: exit %d: %s%s", code, out, errOut)
			}
			d := hook.WaitFor(t, 10*time.Second, testkit.EventIs("monitor.down", "site"))
			if reason, _ := d.Event["reason"].(string); !strings.Contains(reason, "after its maintenance window or silence ended") {
				t.Errorf("released notification's reason: %q", reason)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "maintenance", "end", "1"); code != 1 || !strings.Contains(errOut, "already ended") {
				t.Errorf("ending twice: exit %d: %s", code, errOut)
			}

			// Silences: bad input is refused with the server's words.
			if code, _, errOut := cliEnv(t, r.url, token, "silence", "add", "--duration", "1h", "service=web"); code != 1 || !strings.Contains(errOut, "reason is required") {
				t.Errorf("silence without a reason: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "silence", "add", "--reason", "x", "--duration", "1h", "tag=~("); code != 1 || !strings.Contains(errOut, "invalid regular expression") {
				t.Errorf("silence with a bad regex: exit %d: %s", code, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "silence", "add", "--reason", "flapping upstream", "--duration", "2h", "service=web", "monitor=~si.*")
			if code != 0 || !strings.Contains(out, "silence 1: service=web,monitor=~si.*") {
				t.Fatalf("silence add: exit %d: %s%s", code, out, errOut)
			}
			if m, ok := r.app.eng.Mutes().Check("site", time.Now()); !ok || m.Kind != "silence" {
				t.Errorf("site not silenced in the engine's snapshot: %+v %v", m, ok)
			}
			code, out, _ = cliEnv(t, r.url, token, "silence", "list")
			if code != 0 || !strings.Contains(out, "ada") || !strings.Contains(out, "flapping upstream") {
				t.Errorf("silence list: exit %d:\n%s", code, out)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "silence", "expire", "1"); code != 0 || !strings.Contains(out, "silence 1 expired") {
				t.Errorf("silence expire: exit %d: %s%s", code, out, errOut)
			}
			if _, ok := r.app.eng.Mutes().Check("site", time.Now()); ok {
				t.Error("site still silenced after expiring")
			}
			if code, _, errOut := cliEnv(t, "", token, "silence", "list"); code != 2 || !strings.Contains(errOut, "TOCSIN_URL") {
				t.Errorf("no server: exit %d: %s", code, errOut)
			}
		})
	}
}

// TestSilenceReminders: a silence that holds back a real failure tells its
// creator once, in the inbox and through the creator's own contacts (the
// signed-in user "ada" is the person named Ada); a long silence about to
// expire does too, once.
func TestSilenceReminders(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			phone := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			cfg := strings.Replace(baseConfig(t, driver, target.URL, hook.URL), "channels:\n", "channels:\n  - id: inbox\n    type: inbox\n  - id: ada-phone\n    type: webhook\n    webhook: {url: "+phone.URL+"}\n", 1)
			cfg += "people:\n  - {id: lovelace, name: Ada, contacts: [{channel: ada-phone}]}\n  - {id: byron, name: Byron, contacts: [{channel: ops-hook}]}\n"
			writeConfig(t, path, cfg)
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			waitState(t, r.app, "site", monitor.StatusUp)
			if code, out, errOut := cliEnv(t, r.url, token, "silence", "add", "--reason", "known flapping", "--duration", "3h", "service=web"); code != 0 {
				t.Fatalf("silence add: %s%s", out, errOut)
			}
			target.SetFailing(true)
			reminders := func() []string {
				ms, err := st.ChannelMessages(t.Context(), []string{"inbox"}, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, m := range ms {
					if m.Event.Event == EventSilenceReminder {
						out = append(out, m.Event.Reason)
					}
				}
				return out
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(reminders()) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			got := reminders()
			if len(got) != 1 || !strings.Contains(got[0], "for ada: Your silence 1 (known flapping) held back monitor.down of monitor \"site\"") {
				t.Fatalf("reminders after the silence held back a failure: %q", got)
			}
			if n := countEvents(t, st, "site", "monitor.down"); n != 0 {
				t.Errorf("%d monitor.down notifications despite the silence", n)
			}
			d := phone.WaitFor(t, 10*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == EventSilenceReminder })
			if d.Event["recipient"] != "person:lovelace" || !strings.Contains(fmt.Sprint(d.Event["reason"]), "held back monitor.down") {
				t.Errorf("the reminder through Ada's contact = %v", d.Event)
			}
			// Recovery is held back too; the creator was told already.
			target.SetFailing(false)
			waitTransition(t, st, "site", monitor.StatusUp, time.Now().Add(-time.Minute))
			r.app.remindUse(t.Context(), mutedUse{monitorID: "site", event: "monitor.up", mute: mustMute(t, r.app, "site")})
			if got := reminders(); len(got) != 1 {
				t.Errorf("%d reminders after a second held notification, want still 1", len(got))
			}

			// A two-day silence ending in 30 minutes is reminded once; a
			// short one is not.
			now := time.Now().UTC()
			long, err := st.AddSilence(t.Context(), store.Silence{Matchers: []store.SilenceMatcher{{Name: "monitor", Op: "=", Value: "nothing"}},
				Reason: "long haul", CreatedBy: "ada", StartsAt: now.Add(-47*time.Hour - 30*time.Minute), EndsAt: now.Add(30 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddSilence(t.Context(), store.Silence{Matchers: []store.SilenceMatcher{{Name: "monitor", Op: "=", Value: "nothing"}},
				Reason: "short", CreatedBy: "ada", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(30 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			r.app.remindExpiring(t.Context())
			r.app.remindExpiring(t.Context())
			got = reminders()
			if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "Your silence "+jsonInt(long.ID)+" (long haul) expires at") {
				t.Errorf("reminders after the expiry check: %q", got)
			}
			phone.WaitFor(t, 10*time.Second, func(d testkit.Delivery) bool {
				return d.Event["event"] == EventSilenceReminder && strings.Contains(fmt.Sprint(d.Event["reason"]), "(long haul) expires at")
			})
			// Byron was told nothing: the reminders are Ada's alone.
			for _, d := range hook.Deliveries() {
				if d.Event["event"] == EventSilenceReminder {
					t.Errorf("a reminder reached another person's contact: %v", d.Event)
				}
			}
		})
	}
}

func mustMute(t *testing.T, a *App, id string) mute.Mute {
	t.Helper()
	m, ok := a.eng.Mutes().Check(id, time.Now())
	if !ok {
		t.Fatalf("%s is not muted", id)
	}
	return m
}

func jsonInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestPersonOf(t *testing.T) {
	cfg := &config.Config{
		Channels: []config.Channel{{ID: "mail", Type: "email"}},
		People: []config.Person{
			{ID: "ana", Name: "Ana Lima", Email: "Ana@Example.org"},
			{ID: "kim", Name: "Kim"},
			{ID: "kim2", Name: "kim"},
		},
	}
	cat := catalog.New(cfg)
	for user, want := range map[string]string{"ana": "ana", "ana@example.org": "ana", "ana lima": "ana", "Kim": "", "": "", "nobody": ""} {
		got, ok := personOf(cat, user)
		if ok != (want != "") || got != want && ok {
			t.Errorf("personOf(%q) = %q, %v; want %q", user, got, ok, want)
		}
	}
	msgs := personMessages(cat, "ana", notify.Event{Event: EventSilenceReminder, Time: time.Now()}, func() string { return "x" })
	if len(msgs) != 1 || msgs[0].Channel != "mail" || !strings.EqualFold(msgs[0].Event.To, "ana@example.org") || msgs[0].Event.Recipient != "person:ana" {
		t.Errorf("messages for ana = %+v", msgs)
	}
}
