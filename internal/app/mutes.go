package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Timing of the maintenance and silence upkeep.
const (
	// muteRefresh is how often the stored windows and silences are read
	// again: changes made through this process apply at once, those of
	// another replica within this time.
	muteRefresh = time.Minute
	// longSilence is the length above which a silence's creator is
	// reminded before it expires, remindBefore ahead.
	longSilence  = 24 * time.Hour
	remindBefore = time.Hour
)

// EventSilenceReminder is the event of a reminder to a silence's creator,
// delivered to the inbox channels.
const EventSilenceReminder = "silence.reminder"

// muteRuntime is the App seen through the web's Mutes interface.
type muteRuntime App

func (m *muteRuntime) Snapshot() *mute.Snapshot { return m.eng.Mutes() }

func (m *muteRuntime) Changed(ctx context.Context) {
	a := (*App)(m)
	if err := a.refreshMutes(ctx); err != nil {
		a.log.Error("reading maintenance windows and silences; they apply at the next reread", "err", err)
	}
}

// refreshMutes builds the snapshot of windows and silences from the running
// configuration and the store, and hands it to the engine.
func (a *App) refreshMutes(ctx context.Context) error {
	a.muteMu.Lock()
	defer a.muteMu.Unlock()
	cfg := a.config()
	now := a.now().UTC()
	ws, err := mute.WindowsFromConfig(cfg)
	if err != nil {
		a.log.Error("maintenance windows of the configuration skipped", "err", err)
	}
	stored, err := a.store.MaintenanceWindows(ctx, now)
	if err != nil {
		return err
	}
	for _, sw := range stored {
		w, err := webcore.StoredWindow(sw)
		if err != nil {
			a.log.Error("maintenance window skipped", "window", sw.ID, "err", err)
			continue
		}
		ws = append(ws, w)
	}
	rows, err := a.store.Silences(ctx, now)
	if err != nil {
		return err
	}
	var ss []mute.Silence
	for _, r := range rows {
		s, err := silenceFromStore(r)
		if err != nil {
			a.log.Error("silence skipped", "silence", r.ID, "err", err)
			continue
		}
		ss = append(ss, s)
	}
	a.eng.SetMutes(mute.New(a.evalConfig(cfg), ws, ss))
	return nil
}

func silenceFromStore(r store.Silence) (mute.Silence, error) {
	s := mute.Silence{ID: strconv.FormatInt(r.ID, 10), Reason: r.Reason, CreatedBy: r.CreatedBy, StartsAt: r.StartsAt, EndsAt: r.EndsAt, ExpiredBy: r.ExpiredBy}
	for _, m := range r.Matchers {
		mm, err := mute.NewMatcher(m.Name, m.Op, m.Value)
		if err != nil {
			return s, err
		}
		s.Matchers = append(s.Matchers, mm)
	}
	return s, nil
}

// onMuted hears, on the engine's goroutine, of each notification a window or
// silence held back; the first one a silence holds back is worth telling
// its creator, so it is queued for muteUpkeep without blocking.
func (a *App) onMuted(monitorID, event string, m mute.Mute) {
	if m.Kind != mute.KindSilence {
		return
	}
	select {
	case a.mutedUse <- mutedUse{monitorID: monitorID, event: event, mute: m}:
	default:
		// Full: the silence has told its creator already, or will at
		// its next held notification.
	}
}

type mutedUse struct {
	monitorID, event string
	mute             mute.Mute
}

// muteUpkeep rereads the windows and silences every muteRefresh, reminds
// the creators of long silences an hour before they expire, and tells a
// creator the first time their silence held back a notification.
func (a *App) muteUpkeep(ctx context.Context) {
	t := time.NewTicker(muteRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-a.mutedUse:
			a.remindUse(ctx, u)
		case <-t.C:
			if err := a.refreshMutes(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("reading maintenance windows and silences", "err", err)
			}
			a.remindExpiring(ctx)
		}
	}
}

func (a *App) remindUse(ctx context.Context, u mutedUse) {
	id, err := strconv.ParseInt(u.mute.ID, 10, 64)
	if err != nil {
		return
	}
	first, err := a.store.MarkSilenceReminded(ctx, id, store.ReminderUse)
	if err != nil || !first {
		return
	}
	a.remind(ctx, u.mute.CreatedBy, u.monitorID, fmt.Sprintf("Your silence %s (%s) held back %s of monitor %q: something real happened while it was in force. It lasts until %s.",
		u.mute.ID, u.mute.Reason, u.event, u.monitorID, u.mute.Until.UTC().Format(time.RFC3339)))
}

// remindExpiring reminds the creator of every silence longer than
// longSilence that ends within remindBefore, once.
func (a *App) remindExpiring(ctx context.Context) {
	now := a.now().UTC()
	ss, err := a.store.Silences(ctx, now)
	if err != nil {
		return
	}
	for _, s := range ss {
		if s.RemindedExpiry || s.EndsAt.Sub(s.StartsAt) <= longSilence || now.Before(s.EndsAt.Add(-remindBefore)) || now.Before(s.StartsAt) {
			continue
		}
		if ok, err := a.store.MarkSilenceReminded(ctx, s.ID, store.ReminderExpiry); err != nil || !ok {
			continue
		}
		a.remind(ctx, s.CreatedBy, "", fmt.Sprintf("Your silence %d (%s) expires at %s, in %s: extend it with a new silence if the reason still holds.",
			s.ID, s.Reason, s.EndsAt.Format(time.RFC3339), s.EndsAt.Sub(now).Round(time.Minute)))
	}
}

// remind tells a silence's creator: a log line, a message to every inbox
// channel, where the Inbox page shows it, and, when the creator is a
// person of the catalog, a message through that person's own contacts.
func (a *App) remind(ctx context.Context, creator, monitorID, text string) {
	a.log.Warn("silence reminder", "to", creator, "monitor", monitorID, "text", text)
	cfg := a.config()
	var inboxes []string
	for _, ch := range cfg.Channels {
		if ch.Type == "inbox" {
			inboxes = append(inboxes, ch.ID)
		}
	}
	now := a.now().UTC()
	ev := notify.Event{Event: EventSilenceReminder, MonitorID: monitorID, Reason: "for " + creator + ": " + text, Time: now}
	msgs := notify.Messages(ev, inboxes, uuid.NewString)
	if cat := a.catalog(); cat != nil {
		if id, ok := personOf(cat, creator); ok {
			msgs = append(msgs, personMessages(cat, id, ev, uuid.NewString)...)
		} else if creator != "" {
			a.log.Info("silence reminder: the creator is no person of the catalog; only the inbox is told", "to", creator)
		}
	}
	if len(msgs) == 0 {
		return
	}
	if err := a.store.SaveBatch(ctx, store.Batch{Outbox: msgs}); err != nil {
		a.log.Error("storing a silence reminder", "to", creator, "err", err)
		return
	}
	a.disp.Wake()
}

// personOf finds the catalog person a user name stands for: the person
// with that id, else the one with that email address, else the one with
// that name when only one has it. Case does not matter for the address
// and the name.
func personOf(cat *catalog.Catalog, user string) (string, bool) {
	if user == "" {
		return "", false
	}
	if p, ok := cat.Person(user); ok {
		return p.ID, true
	}
	byName := ""
	n := 0
	for _, p := range cat.People() {
		if p.Email != "" && strings.EqualFold(p.Email, user) {
			return p.ID, true
		}
		if strings.EqualFold(p.Name, user) {
			byName = p.ID
			n++
		}
	}
	return byName, n == 1
}

// personMessages addresses ev to the person through their contacts, the
// way a page reaches them: every contact meant at once, or the first one
// when all of them are delayed (a reminder has nothing to acknowledge, so
// there is no later). The event names the person as recipient.
func personMessages(cat *catalog.Catalog, personID string, ev notify.Event, newID func() string) []notify.OutboxMessage {
	target := "person:" + personID
	var out []notify.OutboxMessage
	for _, r := range cat.Recipients(target, ev.Time) {
		cs := make([]catalog.Contact, 0, len(r.Contacts))
		for _, c := range r.Contacts {
			if c.After <= 0 {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 && len(r.Contacts) > 0 {
			cs = r.Contacts[:1]
		}
		for _, c := range cs {
			e := ev
			e.ID = newID()
			e.Recipient = target
			e.To = c.Address
			out = append(out, notify.OutboxMessage{ID: e.ID, Channel: c.Channel, Event: e, State: notify.StatePending, NextAttempt: ev.Time, CreatedAt: ev.Time})
		}
	}
	return out
}
