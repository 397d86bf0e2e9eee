package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Alert is a paged alert as GET /api/v1/alerts shows it.
type Alert struct {
	ID             int64          `json:"id"`
	GroupKey       string         `json:"group_key"`
	ServiceID      string         `json:"service_id,omitempty"`
	PolicyID       string         `json:"policy_id,omitempty"`
	State          string         `json:"state"`
	OpenedAt       time.Time      `json:"opened_at"`
	AcknowledgedBy string         `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time     `json:"acknowledged_at,omitempty"`
	SnoozedUntil   *time.Time     `json:"snoozed_until,omitempty"`
	ResolvedBy     string         `json:"resolved_by,omitempty"`
	ResolvedAt     *time.Time     `json:"resolved_at,omitempty"`
	Step           int            `json:"escalation_step"`
	Round          int            `json:"escalation_round"`
	Monitors       []AlertMonitor `json:"monitors"`
	// Actions is the alert's log, oldest first: only GET /alerts/{id}.
	Actions []AlertAction `json:"actions,omitempty"`
}

// AlertMonitor is one monitor of an alert.
type AlertMonitor struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	JoinedAt   time.Time `json:"joined_at"`
	ChangedAt  time.Time `json:"changed_at"`
	ImpactedBy string    `json:"impacted_by,omitempty"`
}

// AlertAction is one entry of an alert's log.
type AlertAction struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Who     string    `json:"who"`
	Step    int       `json:"step,omitempty"`
	Round   int       `json:"round,omitempty"`
	Target  string    `json:"target,omitempty"`
	Channel string    `json:"channel,omitempty"`
	Address string    `json:"address,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toAPIAlert(a store.Alert) Alert {
	out := Alert{ID: a.ID, GroupKey: a.GroupKey, ServiceID: a.ServiceID, PolicyID: a.PolicyID, State: a.State, OpenedAt: a.OpenedAt.UTC(),
		AcknowledgedBy: a.AcknowledgedBy, AcknowledgedAt: optTime(a.AcknowledgedAt), SnoozedUntil: optTime(a.SnoozedUntil),
		ResolvedBy: a.ResolvedBy, ResolvedAt: optTime(a.ResolvedAt), Step: a.Step, Round: a.Round + 1, Monitors: []AlertMonitor{}}
	for _, m := range a.Monitors {
		out.Monitors = append(out.Monitors, AlertMonitor{ID: m.MonitorID, Status: m.Status, Reason: m.Reason, JoinedAt: m.JoinedAt.UTC(), ChangedAt: m.ChangedAt.UTC(), ImpactedBy: m.ImpactedBy})
	}
	for _, x := range a.Actions {
		out.Actions = append(out.Actions, AlertAction{Time: x.Time.UTC(), Kind: x.Kind, Who: x.Who, Step: x.Step, Round: x.Round + 1, Target: x.Target, Channel: x.Channel, Address: x.Address, Detail: x.Detail})
	}
	return out
}

// serveAlerts serves GET /api/v1/alerts: paged alerts newest first,
// ?state= open, acknowledged, resolved or active (open and acknowledged).
func (s *API) serveAlerts(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	as, err := s.d.Store.Alerts(r.Context(), r.URL.Query().Get("state"), p)
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return err
		}
		return fmt.Errorf("reading alerts: %w", err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(as, p.Limit, toAPIAlert, func(a store.Alert) int64 { return a.ID }))
	return nil
}

func alertID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Errorf(errs.ENOTFOUND, "no alert %q: alert ids are positive numbers", r.PathValue("id"))
	}
	return id, nil
}

// serveAlert serves GET /api/v1/alerts/{id}: the alert with its monitors
// and its log.
func (s *API) serveAlert(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := alertID(r)
	if err != nil {
		return err
	}
	a, err := s.d.Store.Alert(r.Context(), id)
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return err
		}
		return fmt.Errorf("reading alert %d: %w", id, err)
	}
	webcore.WriteJSON(w, http.StatusOK, One[Alert]{Data: toAPIAlert(a)})
	return nil
}

// snoozeRequest is the body of POST /api/v1/alerts/{id}/snooze: until a
// time, or for a duration from now; exactly one.
type snoozeRequest struct {
	Until time.Time       `json:"until"`
	For   config.Duration `json:"for"`
}

// serveAlertAct serves POST /api/v1/alerts/{id}/{ack,unack,resolve,snooze}.
// The log records the signed-in user as who acted.
func (s *API) serveAlertAct(kind string) Handler {
	return func(w http.ResponseWriter, r *http.Request, u store.User) error {
		id, err := alertID(r)
		if err != nil {
			return err
		}
		now := s.d.Now()
		act := store.AlertAct{Kind: kind, Who: "user:" + u.Name, At: now, Via: "the API"}
		if kind == store.ActSnooze {
			var req snoozeRequest
			if err := decodeJSON(w, r, &req); err != nil {
				return err
			}
			switch {
			case req.Until.IsZero() == (req.For == 0):
				return errs.Errorf(errs.EINVALID, "give either \"until\" (a time, RFC 3339) or \"for\" (a duration such as \"30m\"), not both and not neither")
			case req.For > 0:
				act.Until = now.Add(req.For.D())
			default:
				act.Until = req.Until
			}
		}
		a, err := s.d.Store.Act(r.Context(), id, act)
		if err != nil {
			switch errs.Code(err) {
			case errs.ENOTFOUND, errs.ECONFLICT, errs.EINVALID:
				return err
			}
			return fmt.Errorf("alert %d: %w", id, err)
		}
		if s.d.AlertActed != nil {
			s.d.AlertActed()
		}
		webcore.WriteJSON(w, http.StatusOK, One[Alert]{Data: toAPIAlert(a)})
		return nil
	}
}
