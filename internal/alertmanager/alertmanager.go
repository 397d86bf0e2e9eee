// Package alertmanager makes Prometheus Alertmanager a source of paged
// alerts. Alertmanager's webhook receiver posts a group of alerts (the
// payload of version "4"); each alert becomes a change to a paged alert of
// its own, one per fingerprint, on the service its service label names,
// and from there it pages through that service's escalation policy and
// opens an incident like a failing monitor does. A firing alert opens the
// paged alert or leaves it as it is (Alertmanager repeats itself); a
// resolved one recovers it.
//
// Translate is a pure function of the configuration, the escalation
// policy lookup, the payload and the time: it returns the changes to store
// and, per alert, whether it was taken and why not. The app stores the
// changes; the web layer decodes the request.
package alertmanager

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Limits of a payload. Alertmanager bounds a group with max_alerts; these
// bound what one request can make Tocsin store.
const (
	// MaxBody is the largest request body taken, in bytes.
	MaxBody = 4 << 20
	// MaxAlerts is the most alerts one payload may carry.
	MaxAlerts = 1000
	// maxReason bounds the reason kept from the annotations, in bytes.
	maxReason = 1000
)

// Prefix starts the group key of the paged alert of an Alertmanager alert
// and the id it is listed under among the alert's monitors.
const Prefix = "alertmanager:"

// Alert statuses in a payload.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Payload is the body of Alertmanager's webhook notification, version "4"
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a payload.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Decode reads a payload. It refuses, with a message saying what is wrong,
// a body that is not one JSON object, a version other than "4", a payload
// without an alerts list or with more than MaxAlerts. Fields it does not
// know are ignored: Alertmanager adds fields within a version.
func Decode(body []byte) (Payload, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return p, errs.Errorf(errs.EINVALID, "the body is not an Alertmanager webhook payload: %v", err)
	}
	if dec.More() {
		return p, errs.Errorf(errs.EINVALID, "the body holds more than one JSON value; send one Alertmanager webhook payload")
	}
	if p.Version != "4" {
		return p, errs.Errorf(errs.EINVALID, "payload version %q is not supported; Alertmanager's webhook sends version \"4\"", p.Version)
	}
	if p.Alerts == nil {
		return p, errs.Errorf(errs.EINVALID, "the payload has no \"alerts\" list")
	}
	if len(p.Alerts) > MaxAlerts {
		return p, errs.Errorf(errs.ETOOLARGE, "the payload holds %d alerts, at most %d are taken; set max_alerts in the webhook_config", len(p.Alerts), MaxAlerts)
	}
	return p, nil
}

// Outcome is what became of one alert of a payload.
type Outcome struct {
	// Index is the alert's position in the payload.
	Index       int    `json:"index"`
	Fingerprint string `json:"fingerprint"`
	AlertName   string `json:"alertname,omitempty"`
	Status      string `json:"status"`
	Service     string `json:"service,omitempty"`
	// Accepted: the alert's change is stored. Otherwise Error says why
	// it was refused.
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

// Translate turns the alerts of p into changes to paged alerts, and says
// for each alert whether it was taken. An alert is refused when its status
// is neither firing nor resolved, when it has no service label (and
// alertmanager.default_service is not set), or when the label names no
// service of cfg; the others are taken. changes[i] belongs to the i-th
// accepted outcome.
//
// An alert without a fingerprint gets one from its labels, so a payload
// written by hand still resolves what it fired.
func Translate(cfg *config.Config, policy alert.PolicyFor, p Payload, now time.Time) (changes []store.AlertChange, outcomes []Outcome) {
	now = now.UTC()
	label := config.DefaultServiceLabel
	fallback := ""
	if cfg != nil {
		if cfg.Alertmanager.ServiceLabel != "" {
			label = cfg.Alertmanager.ServiceLabel
		}
		fallback = cfg.Alertmanager.DefaultService
	}
	for i, a := range p.Alerts {
		o := Outcome{Index: i, Fingerprint: a.Fingerprint, AlertName: a.Labels["alertname"], Status: a.Status}
		if o.Fingerprint == "" {
			o.Fingerprint = Fingerprint(a.Labels)
		}
		c, err := change(cfg, policy, label, fallback, a, now)
		if !validFingerprint(o.Fingerprint) {
			c, err = store.AlertChange{}, fmt.Errorf("fingerprint %q is not 1 to %d letters and digits", clipped(o.Fingerprint), maxFingerprint)
			o.Fingerprint = clipped(o.Fingerprint)
		}
		o.Service = c.ServiceID
		if err != nil {
			o.Error = err.Error()
		} else {
			o.Accepted = true
			c.GroupKey = Prefix + o.Fingerprint
			c.MonitorID = Prefix + o.Fingerprint
			changes = append(changes, c)
		}
		outcomes = append(outcomes, o)
	}
	return changes, outcomes
}

func change(cfg *config.Config, policy alert.PolicyFor, label, fallback string, a Alert, now time.Time) (store.AlertChange, error) {
	var c store.AlertChange
	svc, ok := a.Labels[label]
	if !ok || svc == "" {
		if fallback == "" {
			return c, fmt.Errorf("no %q label: it names the service the alert belongs to (alertmanager.service_label)", label)
		}
		svc = fallback
	}
	c.ServiceID = svc
	if cfg == nil {
		return c, fmt.Errorf("unknown service %q: no configuration is loaded", svc)
	}
	if _, ok := cfg.Service(svc); !ok {
		return c, fmt.Errorf("unknown service %q in label %q: name a service of the configuration", svc, label)
	}
	c.Reason = Reason(a)
	c.UpdateEvery = cfg.Alerting.GroupInterval.D()
	if c.UpdateEvery <= 0 {
		c.UpdateEvery = alert.DefaultGroupInterval
	}
	switch a.Status {
	case StatusFiring:
		c.Down = true
		c.Time = at(a.StartsAt, now)
		if policy != nil {
			if p, ok := policy(svc); ok && len(p.Steps) > 0 {
				c.PolicyID = p.ID
				c.FirstStep = c.Time.Add(cfg.Alerting.GroupWait.D() + p.Steps[0].After.D())
			}
		}
	case StatusResolved:
		c.Time = at(a.EndsAt, now)
	default:
		return c, fmt.Errorf("status %q is neither %q nor %q", a.Status, StatusFiring, StatusResolved)
	}
	return c, nil
}

// at is when an alert started or ended as Alertmanager says, or now when
// it says nothing or a time still to come (its clock may run ahead).
func at(t, now time.Time) time.Time {
	if t.IsZero() || t.Year() <= 1 || t.After(now) {
		return now
	}
	return t.UTC()
}

// Reason is what an alert says of itself: its alertname, then its summary
// and description annotations, at most 1000 bytes.
func Reason(a Alert) string {
	var parts []string
	for _, k := range []string{"summary", "description"} {
		if v := strings.TrimSpace(a.Annotations[k]); v != "" {
			parts = append(parts, v)
		}
	}
	r := strings.Join(parts, " — ")
	if name := a.Labels["alertname"]; name != "" {
		if r == "" {
			r = name
		} else {
			r = name + ": " + r
		}
	}
	if r == "" {
		r = "firing in Alertmanager"
	}
	if len(r) > maxReason {
		n := maxReason
		for n > 0 && !utf8.RuneStart(r[n]) {
			n--
		}
		r = r[:n] + "…"
	}
	return r
}

// maxFingerprint bounds a fingerprint: Alertmanager's are 16 hex digits.
const maxFingerprint = 64

func validFingerprint(f string) bool {
	if f == "" || len(f) > maxFingerprint {
		return false
	}
	for _, r := range f {
		if (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// clipped shortens a refused fingerprint for the answer that quotes it.
func clipped(f string) string {
	if len(f) <= maxFingerprint {
		return strings.ToValidUTF8(f, "\uFFFD")
	}
	return strings.ToValidUTF8(f[:maxFingerprint], "\uFFFD") + "…"
}

// Fingerprint names an alert by its labels when Alertmanager did not: the
// same labels, in any order, give the same 16 hex digits.
func Fingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00", k, labels[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
