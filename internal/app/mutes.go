package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

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

// remind tells a silence's creator: a log line, and a message to every
// inbox channel, where the Inbox page shows it.
func (a *App) remind(ctx context.Context, creator, monitorID, text string) {
	a.log.Warn("silence reminder", "to", creator, "monitor", monitorID, "text", text)
	cfg := a.config()
	var inboxes []string
	for _, ch := range cfg.Channels {
		if ch.Type == "inbox" {
			inboxes = append(inboxes, ch.ID)
		}
	}
	if len(inboxes) == 0 {
		return
	}
	now := a.now().UTC()
	ev := notify.Event{Event: EventSilenceReminder, MonitorID: monitorID, Reason: "for " + creator + ": " + text, Time: now}
	b := store.Batch{Outbox: notify.Messages(ev, inboxes, uuid.NewString)}
	if err := a.store.SaveBatch(ctx, b); err != nil {
		a.log.Error("storing a silence reminder", "to", creator, "err", err)
		return
	}
	a.disp.Wake()
}
