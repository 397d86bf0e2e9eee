package app

import (
	"io"
	"log/slog"

	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/logx"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// stormKinds are the info records that come once per monitor and event:
// during an alert storm they are written in summaries, not line by line.
func stormKinds() []logx.StormKind {
	kinds := []logx.StormKind{
		{Message: engine.LogStateChanged, Subject: "monitor", By: "to", Summary: "%s monitors went %s"},
		{Message: engine.LogHeldBack, Subject: "monitor", By: "by", Summary: "%s notifications held back by a %s"},
		{Message: notify.LogSent, Subject: "monitor", By: "event", Summary: "%s notifications sent for %s"},
		{Message: heartbeat.LogMissed, Subject: "heartbeat", Summary: "%s heartbeats missed"},
		{Message: incident.LogOpened, Subject: "incident", Summary: "%s incidents opened"},
	}
	// The incident events the app logs as it queues them.
	for _, ev := range []string{incident.EventOpened, incident.EventUpdated, incident.EventResolved} {
		kinds = append(kinds, logx.StormKind{Message: ev, Subject: "incident", Summary: "%s " + ev + " events"})
	}
	for _, state := range store.IncidentStates {
		kinds = append(kinds, logx.StormKind{Message: incident.LogProgressed(state), Subject: "incident", Summary: "%s incidents " + state})
	}
	return kinds
}

// baseLogHandler writes records to w as key=value text or, with format
// "json", one JSON object per line (time, level, msg and the attributes
// as fields), for log collectors that parse JSON.
func baseLogHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
