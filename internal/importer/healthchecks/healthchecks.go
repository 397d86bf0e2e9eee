// Package healthchecks imports the checks of a Healthchecks project
// through its management API (v3) as heartbeats that keep their UUIDs, so
// every job pinging them keeps working once its base URL points at
// Tocsin.
package healthchecks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/importer"
)

// MaxResponse bounds an API answer read.
const MaxResponse = 64 << 20

// Check is a check as the API lists it.
type Check struct {
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	Tags      string `json:"tags"`
	Desc      string `json:"desc"`
	Timeout   *int64 `json:"timeout"`
	Grace     int64  `json:"grace"`
	Schedule  string `json:"schedule"`
	TZ        string `json:"tz"`
	Status    string `json:"status"`
	UUID      string `json:"uuid"`
	PingURL   string `json:"ping_url"`
	UniqueKey string `json:"unique_key"`
	Channels  string `json:"channels"`
}

// Channel is an integration as the API lists it.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Source is what was read from a project.
type Source struct {
	Checks   []Check
	Channels []Channel
	// ReadOnly says the key was a read-only one: the checks carry
	// unique_key instead of uuid and ping_url, and no channels.
	ReadOnly bool
}

// Fetch reads a project's checks and integrations from the management
// API under base (https://healthchecks.io, or a self-hosted site's root).
func Fetch(ctx context.Context, client *http.Client, base, key string) (*Source, error) {
	base = strings.TrimRight(base, "/")
	// The site's root is wanted; the API's own address works too.
	for _, suffix := range []string{"/api/v3", "/api/v2", "/api/v1"} {
		base = strings.TrimSuffix(base, suffix)
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not an http(s) URL", base)
	}
	var checks struct {
		Checks []Check `json:"checks"`
	}
	if err := get(ctx, client, base+"/api/v3/checks/", key, &checks); err != nil {
		return nil, err
	}
	if checks.Checks == nil {
		return nil, fmt.Errorf("GET %s/api/v3/checks/: the answer has no \"checks\" list", base)
	}
	s := &Source{Checks: checks.Checks}
	for _, c := range s.Checks {
		if c.UUID == "" && c.PingURL == "" && c.UniqueKey != "" {
			s.ReadOnly = true
		}
	}
	if !s.ReadOnly {
		var chans struct {
			Channels []Channel `json:"channels"`
		}
		if err := get(ctx, client, base+"/api/v3/channels/", key, &chans); err != nil {
			return nil, err
		}
		s.Channels = chans.Channels
	}
	return s, nil
}

func get(ctx context.Context, client *http.Client, u, key string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxResponse+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("GET %s: %s: the API key is missing, wrong, or not allowed to list this", u, res.Status)
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", u, res.Status)
	case len(body) > MaxResponse:
		return fmt.Errorf("GET %s: the answer is larger than %d MiB", u, MaxResponse>>20)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: not the management API's JSON: %w", u, err)
	}
	return nil
}

// Options tune the mapping.
type Options struct {
	IDPrefix string
	Source   string
	Tick     func()
}

var reUUID = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// checkUUID is the check's UUID: its uuid field, else the last UUID in its
// ping URL (https://hc-ping.com/<uuid>).
func checkUUID(c Check) string {
	if config.ValidUUID(c.UUID) {
		return strings.ToLower(c.UUID)
	}
	if found := reUUID.FindAllString(c.PingURL, -1); len(found) > 0 {
		return strings.ToLower(found[len(found)-1])
	}
	return ""
}

// Map turns a project into heartbeats, and its integrations into
// channels to fill in.
func Map(s *Source, o Options) (*importer.Fragment, importer.Notes) {
	f := &importer.Fragment{Source: "Healthchecks " + o.Source}
	var notes importer.Notes
	ids, chanIDs := importer.IDs{Prefix: o.IDPrefix}, importer.IDs{Prefix: o.IDPrefix}
	channels := map[string]string{}
	for _, ch := range s.Channels {
		name := ch.Name
		if name == "" {
			name = ch.Kind
		}
		id := chanIDs.Make(name, "channel")
		channels[ch.ID] = id
		f.Channels = append(f.Channels, importer.Channel{ID: id, Type: "inbox",
			Comment: fmt.Sprintf("Healthchecks integration %q (%s, %s): the API does not give its settings;\nit is an inbox until you give it a type and its block (docs/configuration.md#channels)", ch.Name, ch.Kind, ch.ID)})
		notes.Add(fmt.Sprintf("integration %q (%s)", ch.Name, ch.Kind), "imported as an inbox channel %q: the API does not give its settings; set its type and block by hand", id)
	}
	if s.ReadOnly {
		notes.Add("integrations", "not read: a read-only API key cannot list them; use a read-write key")
	}
	seenUUID := map[string]bool{}
	for _, c := range s.Checks {
		if o.Tick != nil {
			o.Tick()
		}
		item := fmt.Sprintf("check %q", firstNonEmpty(c.Name, c.Slug, c.UUID, c.UniqueKey))
		hb := importer.Heartbeat{Name: importer.Literal(c.Name), Paused: c.Status == "paused"}
		hb.UUID = checkUUID(c)
		var comment []string
		comment = append(comment, "Healthchecks check "+firstNonEmpty(c.Name, c.Slug))
		if d := strings.TrimSpace(c.Desc); d != "" {
			comment = append(comment, d)
		}
		if hb.UUID == "" {
			if c.UniqueKey == "" {
				notes.Add(item, "not mapped: the API gave neither its uuid, its ping_url nor its unique_key")
				continue
			}
			hb.UUID = importer.StableUUID("healthchecks " + c.UniqueKey)
			notes.Add(item, "a read-only API key hides its UUID: it gets the new UUID %s, so jobs pinging /<uuid> must change (slug URLs keep working); import with a read-write key to keep it", hb.UUID)
		}
		if seenUUID[hb.UUID] {
			notes.Add(item, "not mapped: its UUID %s is another check's too", hb.UUID)
			continue
		}
		seenUUID[hb.UUID] = true
		if c.Slug != "" {
			if config.ValidSlug(c.Slug) {
				hb.Slug = c.Slug
			} else {
				notes.Add(item, "slug %q not kept: a Tocsin slug has lowercase letters, digits, - and _ only", c.Slug)
			}
		}
		switch {
		case c.Schedule != "":
			hb.Cron = c.Schedule
			if c.TZ != "" && c.TZ != "UTC" {
				hb.Timezone = c.TZ
			}
		case c.Timeout != nil && *c.Timeout > 0:
			hb.Period = importer.Seconds(float64(*c.Timeout))
		}
		if c.Grace > 0 {
			hb.Grace = importer.Seconds(float64(c.Grace))
		}
		for _, chID := range strings.Split(c.Channels, ",") {
			if id, ok := channels[strings.TrimSpace(chID)]; ok {
				hb.Channels = append(hb.Channels, id)
			}
		}
		if t := strings.Fields(c.Tags); len(t) > 0 {
			comment = append(comment, "tags: "+strings.Join(t, " "))
			notes.Add(item, "tags %q kept as a comment: Tocsin heartbeats have no tags", c.Tags)
		}
		hb.ID = ids.Make(firstNonEmpty(c.Slug, c.Name), "check")
		hb.Comment = strings.Join(comment, "\n")
		f.Heartbeats = append(f.Heartbeats, hb)
	}
	if len(f.Heartbeats) == 0 && len(s.Checks) > 0 {
		notes.Add("project", "no check could be imported")
	}
	return f, notes
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
