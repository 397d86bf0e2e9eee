package uptimekuma

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/importer"
	"github.com/tocsin/tocsin/internal/spec"
)

// Options tune the mapping.
type Options struct {
	IDPrefix string
	// Source names the file in the fragment's heading.
	Source string
	// Tick is called once per monitor mapped (for progress), if set.
	Tick func()
}

type mapper struct {
	f                        *importer.Fragment
	notes                    importer.Notes
	ids, chanIDs, svcIDs, mw importer.IDs
	channels                 map[string]string // notification id → channel id
	monitors                 map[int64]string  // monitor id → monitor or heartbeat id
	services                 map[int64]string  // group monitor id → service id
	byID                     map[int64]Row
}

// Map turns what was read from Uptime Kuma into a fragment, and notes
// what it could not map.
func Map(s *Source, o Options) (*importer.Fragment, importer.Notes) {
	m := &mapper{
		f:        &importer.Fragment{Source: "Uptime Kuma " + o.Source},
		ids:      importer.IDs{Prefix: o.IDPrefix},
		chanIDs:  importer.IDs{Prefix: o.IDPrefix},
		svcIDs:   importer.IDs{Prefix: o.IDPrefix},
		mw:       importer.IDs{Prefix: o.IDPrefix},
		channels: map[string]string{},
		monitors: map[int64]string{},
		services: map[int64]string{},
		byID:     map[int64]Row{},
	}
	for _, n := range s.Notifications {
		m.notification(n)
	}
	for _, r := range s.Monitors {
		m.byID[r.Int("id")] = r
	}
	for _, r := range s.Monitors {
		if r.Str("type") == "group" {
			id := m.svcIDs.Make(r.Str("name"), "group")
			m.services[r.Int("id")] = id
			svc := importer.Service{ID: id, Name: importer.Literal(r.Str("name")), Description: importer.Literal(r.Str("description")),
				Comment: fmt.Sprintf("Uptime Kuma group %q (id %d)", r.Str("name"), r.Int("id"))}
			svc.Channels = m.notificationsOf(r)
			m.f.Services = append(m.f.Services, svc)
		}
	}
	for _, r := range s.Monitors {
		if r.Str("type") != "group" {
			m.monitor(r)
		}
		if o.Tick != nil {
			o.Tick()
		}
	}
	for _, w := range s.Maintenance {
		m.maintenance(w)
	}
	return m.f, m.notes
}

func item(r Row) string { return fmt.Sprintf("monitor %q (id %d)", r.Str("name"), r.Int("id")) }

// notificationsOf lists the channels made from a monitor's notifications.
func (m *mapper) notificationsOf(r Row) []string {
	list, _ := r["notificationIDList"].(map[string]any)
	keys := make([]string, 0, len(list))
	for k, on := range list {
		if on == true || on == float64(1) || on == int64(1) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i])
		b, _ := strconv.Atoi(keys[j])
		return a < b
	})
	var out []string
	for _, k := range keys {
		if id, ok := m.channels[k]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// service is the service of the nearest group above r.
func (m *mapper) service(r Row) string {
	seen := map[int64]bool{}
	for p := r.Int("parent"); p != 0 && !seen[p]; {
		seen[p] = true
		if id, ok := m.services[p]; ok {
			return id
		}
		parent, ok := m.byID[p]
		if !ok {
			break
		}
		p = parent.Int("parent")
	}
	return ""
}

func (m *mapper) tags(r Row) []string {
	list, _ := r["tags"].([]any)
	var out []string
	for _, t := range list {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		tr := Row(tm)
		tag := importer.Tag(tr.Str("name"), tr.Str("value"))
		if tag != "" && !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}

func (m *mapper) monitor(r Row) {
	it := item(r)
	typ := r.Str("type")
	comment := fmt.Sprintf("Uptime Kuma %s monitor %q (id %d)", typ, r.Str("name"), r.Int("id"))
	if d := r.Str("description"); d != "" {
		comment += "\n" + d
	}
	if typ == "push" {
		m.push(r, comment)
		return
	}
	mon := importer.Monitor{
		Name:     importer.Literal(r.Str("name")),
		Service:  m.service(r),
		Paused:   !r.Bool(true, "active"),
		Tags:     m.tags(r),
		Channels: m.notificationsOf(r),
		Comment:  comment,
	}
	if iv := r.Num("interval"); iv > 0 {
		mon.Interval = importer.Seconds(iv)
	}
	if to := r.Num("timeout"); to > 0 {
		d := time.Duration(to * float64(time.Second))
		if iv := time.Duration(mon.Interval); iv > 0 && d > iv {
			d = iv
		}
		mon.Timeout = importer.Duration(d)
	}
	if n := r.Int("maxretries"); n > 0 {
		mon.FailureThreshold = int(n) + 1
	}
	if r.Bool(false, "upsideDown", "upside_down") {
		m.notes.Add(it, "not mapped: upside down mode (up when the check fails) has no counterpart in Tocsin")
		return
	}
	switch typ {
	case "http", "keyword", "json-query":
		if !m.http(&mon, r) {
			return
		}
	case "port":
		host, port := r.Str("hostname"), r.Int("port")
		if host == "" || port <= 0 {
			m.notes.Add(it, "not mapped: hostname or port is empty")
			return
		}
		mon.Type, mon.Block = "tcp", &importer.TCPBlock{Address: net.JoinHostPort(host, strconv.FormatInt(port, 10))}
	case "ping":
		if r.Str("hostname") == "" {
			m.notes.Add(it, "not mapped: hostname is empty")
			return
		}
		blk := &importer.ICMPBlock{Host: r.Str("hostname")}
		if n := r.Int("ping_count"); n > 0 && n <= 100 {
			blk.Count = int(n)
		}
		mon.Type, mon.Block = "icmp", blk
	case "dns":
		blk := &importer.DNSBlock{Name: r.Str("hostname"), Type: strings.ToUpper(r.Str("dns_resolve_type"))}
		if blk.Name == "" {
			m.notes.Add(it, "not mapped: hostname is empty")
			return
		}
		if blk.Type == "A" {
			blk.Type = ""
		}
		if srv := r.Str("dns_resolve_server"); srv != "" {
			if first, _, more := strings.Cut(srv, ","); more {
				m.notes.Add(it, "resolvers %q: Tocsin asks one server, the first", srv)
				srv = strings.TrimSpace(first)
			}
			port := r.Int("port")
			if port > 0 && port != 53 {
				srv = net.JoinHostPort(srv, strconv.FormatInt(port, 10))
			}
			blk.Server = srv
		}
		mon.Type, mon.Block = "dns", blk
	default:
		m.notes.Add(it, "not mapped: Tocsin has no %q monitor type", typ)
		return
	}
	id := m.ids.Make(r.Str("name"), "monitor")
	mon.ID = id
	m.monitors[r.Int("id")] = id
	m.f.Monitors = append(m.f.Monitors, mon)
}

func (m *mapper) http(mon *importer.Monitor, r Row) bool {
	it := item(r)
	raw := r.Str("url")
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		m.notes.Add(it, "not mapped: url %q is not an http(s) URL", raw)
		return false
	}
	blk := &importer.HTTPBlock{URL: importer.Literal(raw)}
	if meth := strings.ToUpper(r.Str("method")); meth != "" && meth != "GET" {
		blk.Method = meth
	}
	if h := r.Str("headers"); strings.TrimSpace(h) != "" {
		var headers map[string]any
		if err := json.Unmarshal([]byte(h), &headers); err != nil {
			m.notes.Add(it, "headers not mapped: they are not a JSON object")
		} else {
			blk.Headers = map[string]string{}
			for k, v := range headers {
				blk.Headers[k] = importer.Literal(fmt.Sprint(v))
			}
		}
	}
	if b := r.Str("body"); strings.TrimSpace(b) != "" {
		blk.Body = importer.Literal(b)
		ct := map[string]string{"": "application/json", "json": "application/json", "form": "application/x-www-form-urlencoded", "xml": "text/xml; charset=utf-8"}[r.Str("httpBodyEncoding", "http_body_encoding")]
		if ct != "" {
			if blk.Headers == nil {
				blk.Headers = map[string]string{}
			}
			if _, ok := blk.Headers["Content-Type"]; !ok {
				blk.Headers["Content-Type"] = ct
			}
		}
	}
	switch am := r.Str("authMethod", "auth_method"); am {
	case "", "null":
	case "basic":
		if blk.Headers == nil {
			blk.Headers = map[string]string{}
		}
		cred := r.Str("basic_auth_user") + ":" + r.Str("basic_auth_pass")
		blk.Headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	default:
		m.notes.Add(it, "authentication %q not mapped: only basic authentication is", am)
	}
	if r.Bool(false, "ignoreTls", "ignore_tls") {
		blk.TLS = &importer.TLSClient{InsecureSkipVerify: true}
	}
	if r["maxredirects"] != nil && r.Int("maxredirects") == 0 {
		f := false
		blk.FollowRedirects = &f
	}
	exp := &importer.HTTPExpect{Status: m.statusCodes(r)}
	if r.Bool(false, "expiryNotification", "expiry_notification") && strings.HasPrefix(raw, "https:") {
		exp.CertWarnDays = 21
	}
	switch r.Str("type") {
	case "keyword":
		kw := r.Str("keyword")
		if r.Bool(false, "invertKeyword", "invert_keyword") {
			m.notes.Add(it, "not mapped: an inverted keyword (the body must not contain it) has no counterpart in Tocsin")
			return false
		}
		exp.BodyContains = importer.Literal(kw)
	case "json-query":
		path := strings.TrimSpace(r.Str("jsonPath", "json_path"))
		op := r.Str("jsonPathOperator", "json_path_operator")
		if op != "" && op != "==" {
			m.notes.Add(it, "not mapped: JSON query operator %q; Tocsin compares a value for equality", op)
			return false
		}
		if !strings.HasPrefix(path, "$") {
			path = "$." + path
		}
		if _, err := spec.CompileJSONPath(path); err != nil {
			m.notes.Add(it, "not mapped: JSON query %q is not a path Tocsin reads (%v)", r.Str("jsonPath", "json_path"), err)
			return false
		}
		v := importer.Literal(r.Str("expectedValue", "expected_value"))
		exp.JSON = []importer.JSONExpect{{Path: path, Equals: &v}}
	}
	if !exp.Empty() {
		blk.Expect = exp
	}
	mon.Type, mon.Block = "http", blk
	return true
}

// statusCodes reads the accepted status codes, which the backup holds as
// a list and the database as JSON text.
func (m *mapper) statusCodes(r Row) []string {
	var list []any
	switch v := r["accepted_statuscodes"].(type) {
	case []any:
		list = v
	}
	if list == nil {
		_ = json.Unmarshal([]byte(r.Str("accepted_statuscodes_json")), &list)
	}
	var out []string
	for _, c := range list {
		s := strings.TrimSpace(fmt.Sprint(c))
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// push maps a push monitor to a heartbeat: Tocsin pings by UUID or by
// slug, so the push token becomes the slug where it can.
func (m *mapper) push(r Row, comment string) {
	it := item(r)
	iv := r.Num("interval")
	if iv <= 0 {
		iv = 60
	}
	retry := r.Num("retryInterval", "retry_interval")
	if retry <= 0 {
		retry = iv
	}
	grace := max(time.Duration(float64(r.Int("maxretries"))*retry)*time.Second, time.Minute)
	token := r.Str("pushToken", "push_token")
	hb := importer.Heartbeat{
		ID:       m.ids.Make(r.Str("name"), "push"),
		Name:     importer.Literal(r.Str("name")),
		UUID:     importer.StableUUID("uptime kuma push " + token + " " + r.Str("id")),
		Service:  m.service(r),
		Channels: m.notificationsOf(r),
		Period:   importer.Seconds(iv),
		Grace:    importer.Duration(grace),
		Paused:   !r.Bool(true, "active"),
		Comment:  comment,
	}
	switch {
	case token == "":
		m.notes.Add(it, "has no push token; its job must ping /ping/%s", hb.UUID)
	case config.ValidSlug(token):
		hb.Slug = token
		m.notes.Add(it, "its job pushes to /api/push/%s: point it at /ping/<server.pings.key>/%s or /ping/%s", token, token, hb.UUID)
	default:
		m.notes.Add(it, "push token cannot be a Tocsin slug (lowercase letters, digits, - and _ only): point its job at /ping/%s", hb.UUID)
	}
	if len(m.tags(r)) > 0 {
		m.notes.Add(it, "tags not mapped: Tocsin heartbeats have no tags")
	}
	m.monitors[r.Int("id")] = hb.ID
	m.f.Heartbeats = append(m.f.Heartbeats, hb)
}
