package gatus

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/importer"
	"github.com/tocsin/tocsin/internal/spec"
)

// Options tune the mapping.
type Options struct {
	// IDPrefix is put before every id made.
	IDPrefix string
	// Source names the file in the fragment's heading.
	Source string
	// Tick is called once per endpoint mapped (for progress), if set.
	Tick func()
}

// Map turns a Gatus configuration into a fragment, and notes what it
// could not map.
func Map(cfg *Config, o Options) (*importer.Fragment, importer.Notes) {
	m := &mapper{
		f:        &importer.Fragment{Source: "Gatus configuration " + o.Source},
		ids:      importer.IDs{Prefix: o.IDPrefix},
		chanIDs:  importer.IDs{Prefix: o.IDPrefix},
		svcIDs:   importer.IDs{Prefix: o.IDPrefix},
		mwIDs:    importer.IDs{Prefix: o.IDPrefix},
		channels: map[string]string{},
		services: map[string]string{},
		defaults: map[string]Alert{},
	}
	for _, k := range sortedKeys(cfg.Other) {
		m.notes.Add("section "+k, "not imported: Tocsin has no counterpart in a monitors file")
	}
	m.providers(cfg.Alerting)
	for _, e := range cfg.Endpoints {
		m.endpoint(e)
		if o.Tick != nil {
			o.Tick()
		}
	}
	for _, e := range cfg.ExternalEndpoints {
		m.external(e)
		if o.Tick != nil {
			o.Tick()
		}
	}
	for _, s := range cfg.Suites {
		m.notes.Add(fmt.Sprintf("suite %q", key(s.Group, s.Name)), "not mapped: Tocsin runs no multi-step suites; write one monitor per step, or a command monitor")
	}
	if w := cfg.Maintenance; w != nil && (w.Enabled == nil || *w.Enabled) && len(m.f.Monitors) > 0 {
		var all []string
		for _, mon := range m.f.Monitors {
			all = append(all, mon.ID)
		}
		m.window("maintenance", "gatus-maintenance", *w, all)
	}
	return m.f, m.notes
}

type mapper struct {
	f                           *importer.Fragment
	notes                       importer.Notes
	ids, chanIDs, svcIDs, mwIDs importer.IDs
	// channels maps a provider type to the channel made from it;
	// services a group to its service.
	channels, services map[string]string
	defaults           map[string]Alert
}

func key(group, name string) string {
	if group == "" {
		return name
	}
	return group + "/" + name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// service returns the service of group, making it on first use.
func (m *mapper) service(group string) string {
	if group == "" {
		return ""
	}
	if id, ok := m.services[group]; ok {
		return id
	}
	id := m.svcIDs.Make(group, "group")
	m.services[group] = id
	m.f.Services = append(m.f.Services, importer.Service{ID: id, Name: group, Comment: fmt.Sprintf("Gatus group %q", group)})
	return id
}

func (m *mapper) endpoint(e Endpoint) {
	item := fmt.Sprintf("endpoint %q", key(e.Group, e.Name))
	mon := importer.Monitor{Name: e.Name, Comment: "Gatus endpoint " + key(e.Group, e.Name)}
	if e.Enabled != nil && !*e.Enabled {
		mon.Paused = true
	}
	if e.Interval != "" {
		d, err := time.ParseDuration(e.Interval)
		if err != nil || d <= 0 {
			m.notes.Add(item, "not mapped: interval %q is not a duration", e.Interval)
			return
		}
		mon.Interval = importer.Duration(d)
	}
	if e.Client != nil && e.Client.Timeout != "" {
		d, err := time.ParseDuration(e.Client.Timeout)
		if err != nil || d <= 0 {
			m.notes.Add(item, "client.timeout %q is not a duration; the default is used", e.Client.Timeout)
		} else {
			// A run may not take longer than the interval (60s when unset).
			iv := time.Duration(mon.Interval)
			if iv == 0 {
				iv = time.Minute
			}
			d = min(d, iv)
			mon.Timeout = importer.Duration(d)
		}
	}
	if e.Client != nil {
		for _, k := range sortedKeys(e.Client.Other) {
			m.notes.Add(item, "client.%s not mapped", k)
		}
	}
	for _, k := range sortedKeys(e.Other) {
		if k != "ui" && k != "extra-labels" {
			m.notes.Add(item, "%s not mapped", k)
		}
	}
	conds := parseConditions(e.Conditions)
	ok := false
	switch {
	case e.DNS != nil:
		ok = m.dns(&mon, item, e, conds)
	default:
		u, err := url.Parse(e.URL)
		if err != nil || u.Scheme == "" {
			m.notes.Add(item, "not mapped: url %q is not a URL", e.URL)
			return
		}
		switch u.Scheme {
		case "http", "https":
			ok = m.http(&mon, item, e, conds)
		case "tcp":
			mon.Type, mon.Block = "tcp", &importer.TCPBlock{Address: u.Host}
			ok = m.plain(&mon, item, conds, nil)
		case "icmp":
			blk := &importer.ICMPBlock{Host: u.Hostname()}
			mon.Type, mon.Block = "icmp", blk
			ok = m.plain(&mon, item, conds, func(c condition) bool {
				if c.left == "[RESPONSE_TIME]" && (c.op == "<" || c.op == "<=") {
					if ms, err := strconv.Atoi(c.right); err == nil && ms > 0 {
						blk.CritRTT = importer.Duration(time.Duration(ms) * time.Millisecond)
						return true
					}
				}
				return false
			})
		case "tls", "starttls":
			blk := &importer.TLSBlock{Address: u.Host}
			if u.Scheme == "starttls" {
				blk.StartTLS = "smtp"
			}
			mon.Type, mon.Block = "tls", blk
			ok = m.plain(&mon, item, conds, func(c condition) bool {
				if days, ok := certDays(c); ok {
					blk.CertMinDays = days
					return true
				}
				return false
			})
		case "ssh":
			ok = m.ssh(&mon, item, e, u, conds)
		default:
			m.notes.Add(item, "not mapped: Tocsin has no %s:// check", u.Scheme)
			return
		}
	}
	if !ok {
		return
	}
	mon.ID = m.ids.Make(key(e.Group, e.Name), "endpoint")
	mon.Service = m.service(e.Group)
	mon.Channels, mon.FailureThreshold, mon.SuccessThreshold = m.alerts(item, e.Alerts)
	m.f.Monitors = append(m.f.Monitors, mon)
	for i, w := range e.MaintenanceWindows {
		if w.Enabled != nil && !*w.Enabled {
			continue
		}
		m.window(fmt.Sprintf("%s maintenance-windows[%d]", item, i), mon.ID+"-maintenance", w, []string{mon.ID})
	}
}

// condition is one Gatus condition, split at its operator.
type condition struct {
	raw, left, op, right string
}

var operators = []string{" == ", " != ", " <= ", " >= ", " < ", " > "}

func parseConditions(list []string) []condition {
	out := make([]condition, 0, len(list))
	for _, raw := range list {
		c := condition{raw: raw}
		for _, op := range operators {
			if i := strings.Index(raw, op); i >= 0 {
				c.left, c.op, c.right = strings.TrimSpace(raw[:i]), strings.TrimSpace(op), strings.TrimSpace(raw[i+len(op):])
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// plain maps the conditions of a check that has no expectations besides
// reaching its target: [CONNECTED] == true is what it checks anyway;
// extra handles the conditions the kind does have.
func (m *mapper) plain(mon *importer.Monitor, item string, conds []condition, extra func(condition) bool) bool {
	for _, c := range conds {
		switch {
		case c.left == "[CONNECTED]" && c.op == "==" && c.right == "true":
		case extra != nil && extra(c):
		default:
			m.notes.Add(item, "condition %q not mapped: a %s check has no such expectation", c.raw, mon.Type)
		}
	}
	return true
}

func certDays(c condition) (int, bool) {
	if c.left != "[CERTIFICATE_EXPIRATION]" || c.op != ">" && c.op != ">=" {
		return 0, false
	}
	d, err := time.ParseDuration(c.right)
	if err != nil {
		ms, err := strconv.ParseInt(c.right, 10, 64)
		if err != nil {
			return 0, false
		}
		d = time.Duration(ms) * time.Millisecond
	}
	if d <= 0 {
		return 0, false
	}
	return int((d + 24*time.Hour - 1) / (24 * time.Hour)), true
}

// jsonPath turns Gatus's [BODY].a.b[0] into $.a.b[0].
func jsonPath(left string) (string, bool) {
	rest, ok := strings.CutPrefix(left, "[BODY]")
	if !ok || rest == "" {
		return "", false
	}
	if !strings.HasPrefix(rest, ".") && !strings.HasPrefix(rest, "[") {
		return "", false
	}
	if _, err := spec.CompileJSONPath("$" + rest); err != nil {
		return "", false
	}
	return "$" + rest, true
}

func (m *mapper) http(mon *importer.Monitor, item string, e Endpoint, conds []condition) bool {
	blk := &importer.HTTPBlock{URL: envRefs(e.URL), Headers: map[string]string{}}
	if e.Method != "" && !strings.EqualFold(e.Method, "GET") {
		blk.Method = strings.ToUpper(e.Method)
	}
	for k, v := range e.Headers {
		blk.Headers[k] = envRefs(v)
	}
	if len(blk.Headers) == 0 {
		blk.Headers = nil
	}
	blk.Body = envRefs(e.Body)
	if e.GraphQL && e.Body != "" {
		b, _ := json.Marshal(map[string]string{"query": e.Body})
		blk.Body = envRefs(string(b))
		if blk.Headers == nil {
			blk.Headers = map[string]string{}
		}
		blk.Headers["Content-Type"] = "application/json"
	}
	if strings.Contains(e.Body, "[") && strings.Contains(e.Body, "]") && regexp.MustCompile(`\[(ENDPOINT_[A-Z]+|LOCAL_ADDRESS|RANDOM_STRING_\d+)\]`).MatchString(e.Body) {
		m.notes.Add(item, "body placeholders such as [ENDPOINT_NAME] are sent as written: Tocsin does not fill them in")
	}
	if e.Client != nil {
		if e.Client.Insecure {
			blk.TLS = &importer.TLSClient{InsecureSkipVerify: true}
		}
		if e.Client.IgnoreRedirect {
			f := false
			blk.FollowRedirects = &f
		}
	}
	exp := &importer.HTTPExpect{}
	codes := allCodes()
	statusSet := false
	for _, c := range conds {
		switch {
		case c.left == "[STATUS]":
			set, ok := statusCodes(c)
			if !ok {
				m.notes.Add(item, "condition %q not mapped: Tocsin accepts a list of status codes and ranges", c.raw)
				continue
			}
			for i := range codes {
				codes[i] = codes[i] && set[i]
			}
			statusSet = true
		case c.left == "[CONNECTED]" && c.op == "==" && c.right == "true":
		case c.left == "[RESPONSE_TIME]" && (c.op == "<" || c.op == "<="):
			ms, err := strconv.Atoi(c.right)
			if err != nil || ms <= 0 {
				m.notes.Add(item, "condition %q not mapped: not a number of milliseconds", c.raw)
				continue
			}
			exp.MaxResponseTime = importer.Duration(time.Duration(ms) * time.Millisecond)
		case c.left == "[CERTIFICATE_EXPIRATION]":
			days, ok := certDays(c)
			if !ok {
				m.notes.Add(item, "condition %q not mapped: Tocsin checks a least number of days before expiry", c.raw)
				continue
			}
			exp.CertMinDays = days
		case c.left == "[BODY]" && c.op == "==":
			if pat, ok := strings.CutPrefix(c.right, "pat("); ok && strings.HasSuffix(pat, ")") {
				exp.BodyRegex = wildcardRegex(strings.TrimSuffix(pat, ")"))
			} else if strings.HasPrefix(c.right, "any(") {
				m.notes.Add(item, "condition %q not mapped: Tocsin has no choice of whole bodies", c.raw)
			} else {
				exp.BodyRegex = `^\s*` + regexp.QuoteMeta(c.right) + `\s*$`
			}
		case strings.HasPrefix(c.left, "has([BODY]") && c.op == "==" && (c.right == "true" || c.right == "false"):
			path, ok := jsonPath(strings.TrimSuffix(strings.TrimPrefix(c.left, "has("), ")"))
			if !ok {
				m.notes.Add(item, "condition %q not mapped", c.raw)
				continue
			}
			exists := c.right == "true"
			exp.JSON = append(exp.JSON, importer.JSONExpect{Path: path, Exists: &exists})
		case strings.HasPrefix(c.left, "[BODY]") && c.op == "==":
			path, ok := jsonPath(c.left)
			if !ok || strings.HasPrefix(c.right, "any(") || strings.HasPrefix(c.right, "pat(") || strings.HasPrefix(c.right, "[") {
				m.notes.Add(item, "condition %q not mapped: Tocsin compares a JSON value with one text", c.raw)
				continue
			}
			v := envRefs(strings.Trim(c.right, `"`))
			exp.JSON = append(exp.JSON, importer.JSONExpect{Path: path, Equals: &v})
		case c.left == "":
			m.notes.Add(item, "condition %q not mapped: no operator (==, !=, <, <=, >, >=)", c.raw)
		default:
			m.notes.Add(item, "condition %q not mapped: Tocsin's http check has no such expectation", c.raw)
		}
	}
	if statusSet {
		exp.Status = ranges(codes)
		if len(exp.Status) == 0 {
			m.notes.Add(item, "not mapped: its [STATUS] conditions accept no status code")
			return false
		}
	}
	if !exp.Empty() {
		blk.Expect = exp
	}
	mon.Type, mon.Block = "http", blk
	return true
}

func (m *mapper) dns(mon *importer.Monitor, item string, e Endpoint, conds []condition) bool {
	server := strings.TrimPrefix(e.URL, "dns://")
	if e.DNS.QueryName == "" {
		m.notes.Add(item, "not mapped: dns.query-name is empty")
		return false
	}
	blk := &importer.DNSBlock{Name: e.DNS.QueryName, Type: strings.ToUpper(e.DNS.QueryType), Server: server}
	if blk.Type == "A" {
		blk.Type = ""
	}
	for _, c := range conds {
		switch {
		case c.left == "[DNS_RCODE]" && c.op == "==":
			if c.right != "NOERROR" {
				blk.RCode = c.right
			}
		case c.left == "[BODY]" && c.op == "==" && !strings.Contains(c.right, "("):
			blk.Expect = append(blk.Expect, c.right)
		case c.left == "[CONNECTED]" && c.op == "==" && c.right == "true":
		default:
			m.notes.Add(item, "condition %q not mapped: Tocsin's dns check expects a response code and values in the answer", c.raw)
		}
	}
	mon.Type, mon.Block = "dns", blk
	return true
}

func (m *mapper) ssh(mon *importer.Monitor, item string, e Endpoint, u *url.URL, conds []condition) bool {
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "22")
	}
	blk := &importer.SSHBlock{Address: addr}
	if e.SSH != nil {
		blk.User, blk.Password = envRefs(e.SSH.Username), envRefs(e.SSH.Password)
	}
	if e.Body != "" {
		var body struct {
			Command string `json:"command"`
		}
		if err := json.Unmarshal([]byte(e.Body), &body); err == nil {
			blk.Command = envRefs(body.Command)
		}
	}
	for _, c := range conds {
		switch {
		case c.left == "[CONNECTED]" && c.op == "==" && c.right == "true":
		case c.left == "[STATUS]" && c.op == "==" && blk.Command != "":
			n, err := strconv.Atoi(c.right)
			if err != nil || n < 0 || n > 255 {
				m.notes.Add(item, "condition %q not mapped: not an exit status", c.raw)
				continue
			}
			blk.Expect = &importer.SSHExpect{ExitStatus: &n}
		default:
			m.notes.Add(item, "condition %q not mapped: Tocsin's ssh check expects a login, an exit status and output", c.raw)
		}
	}
	mon.Type, mon.Block = "ssh", blk
	return true
}

// alerts maps an endpoint's alerts to channels and thresholds.
func (m *mapper) alerts(item string, alerts []Alert) (channels []string, failure, success int) {
	for _, a := range alerts {
		if a.Enabled != nil && !*a.Enabled {
			continue
		}
		id, ok := m.channels[a.Type]
		if !ok {
			m.notes.Add(item, "alert of type %q not mapped: no channel was made from alerting.%s", a.Type, a.Type)
			continue
		}
		if !slices.Contains(channels, id) {
			channels = append(channels, id)
		}
		d := m.defaults[a.Type]
		f, s := a.FailureThreshold, a.SuccessThreshold
		if f == 0 {
			f = d.FailureThreshold
		}
		if s == 0 {
			s = d.SuccessThreshold
		}
		// Gatus's defaults, 3 and 2, apply when neither says.
		if f == 0 {
			f = 3
		}
		if s == 0 {
			s = 2
		}
		if failure == 0 || f < failure {
			failure = f
		}
		if success == 0 || s < success {
			success = s
		}
	}
	if failure == 1 {
		failure = 0
	}
	if success == 1 {
		success = 0
	}
	return channels, failure, success
}

// allCodes is every HTTP status code, as a set indexed by code.
func allCodes() []bool {
	s := make([]bool, 600)
	for i := 100; i < 600; i++ {
		s[i] = true
	}
	return s
}

// statusCodes is the set of codes a [STATUS] condition accepts.
func statusCodes(c condition) ([]bool, bool) {
	set := make([]bool, 600)
	right := c.right
	if inner, ok := strings.CutPrefix(right, "any("); ok && strings.HasSuffix(inner, ")") && c.op == "==" {
		for _, p := range strings.Split(strings.TrimSuffix(inner, ")"), ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 100 || n > 599 {
				return nil, false
			}
			set[n] = true
		}
		return set, true
	}
	if inner, ok := strings.CutPrefix(right, "pat("); ok && strings.HasSuffix(inner, ")") && (c.op == "==" || c.op == "!=") {
		re := regexp.MustCompile(wildcardRegex(strings.TrimSuffix(inner, ")")))
		for i := 100; i < 600; i++ {
			set[i] = re.MatchString(strconv.Itoa(i)) == (c.op == "==")
		}
		return set, true
	}
	n, err := strconv.Atoi(right)
	if err != nil {
		return nil, false
	}
	for i := 100; i < 600; i++ {
		switch c.op {
		case "==":
			set[i] = i == n
		case "!=":
			set[i] = i != n
		case "<":
			set[i] = i < n
		case "<=":
			set[i] = i <= n
		case ">":
			set[i] = i > n
		case ">=":
			set[i] = i >= n
		}
	}
	return set, true
}

// ranges writes a set of codes as Tocsin's list: "200", "300-399".
func ranges(set []bool) []string {
	var out []string
	for i := 100; i < 600; i++ {
		if !set[i] {
			continue
		}
		j := i
		for j+1 < 600 && set[j+1] {
			j++
		}
		if i == j {
			out = append(out, strconv.Itoa(i))
		} else {
			out = append(out, strconv.Itoa(i)+"-"+strconv.Itoa(j))
		}
		i = j
	}
	return out
}

// wildcardRegex turns Gatus's pat() pattern (* for any text) into an
// anchored regular expression.
func wildcardRegex(p string) string {
	parts := strings.Split(p, "*")
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return "^" + strings.Join(parts, ".*") + "$"
}

var reBareEnv = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// envRefs keeps Gatus's environment variable references for Tocsin to
// expand: ${NAME} as it is, $NAME braced.
func envRefs(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return reBareEnv.ReplaceAllString(s, "$${$1}")
}

// external maps an external endpoint to a heartbeat.
func (m *mapper) external(e External) {
	k := key(e.Group, e.Name)
	item := fmt.Sprintf("external endpoint %q", k)
	hb := importer.Heartbeat{
		ID:      m.ids.Make(k, "external"),
		Name:    e.Name,
		UUID:    importer.StableUUID("gatus external endpoint " + k),
		Service: m.service(e.Group),
		Paused:  e.Enabled != nil && !*e.Enabled,
		Comment: "Gatus external endpoint " + k + ": its job must ping /ping/<uuid> (or /ping/<uuid>/fail) instead of /api/v1/endpoints/.../external",
	}
	if iv := e.Heartbeat.Interval; iv != "" {
		d, err := time.ParseDuration(iv)
		if err != nil || d <= 0 {
			m.notes.Add(item, "heartbeat.interval %q is not a duration; the default period of a day is used", iv)
		} else {
			hb.Period = importer.Duration(d.Round(time.Second))
			hb.Grace = importer.Duration(max(time.Second, (d / 10).Round(time.Second)))
		}
	} else {
		m.notes.Add(item, "has no heartbeat.interval: Tocsin expects a ping at least once a day (period 1d)")
	}
	hb.Channels, _, _ = m.alerts(item, e.Alerts)
	m.notes.Add(item, "pushes to Gatus's API with a token; point the job at /ping/%s (success) and /ping/%s/fail", hb.UUID, hb.UUID)
	m.f.Heartbeats = append(m.f.Heartbeats, hb)
}

var weekdays = map[string]string{
	"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
	"friday": "fri", "saturday": "sat", "sunday": "sun",
}

// window maps a Gatus maintenance window (a daily or weekly start time
// and a duration) to a recurring window over monitors.
func (m *mapper) window(item, id string, w Window, monitors []string) {
	hm := strings.Split(w.Start, ":")
	if len(hm) != 2 {
		m.notes.Add(item, "not mapped: start %q is not HH:MM", w.Start)
		return
	}
	h, err1 := strconv.Atoi(hm[0])
	mi, err2 := strconv.Atoi(hm[1])
	d, err3 := time.ParseDuration(w.Duration)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 23 || mi < 0 || mi > 59 || d <= 0 {
		m.notes.Add(item, "not mapped: start %q or duration %q is not valid", w.Start, w.Duration)
		return
	}
	days := "*"
	if len(w.Every) > 0 {
		var ds []string
		for _, day := range w.Every {
			short, ok := weekdays[strings.ToLower(day)]
			if !ok {
				m.notes.Add(item, "not mapped: %q is not a day of the week", day)
				return
			}
			ds = append(ds, short)
		}
		days = strings.Join(ds, ",")
	}
	mw := importer.Maintenance{
		ID:       m.mwIDs.Make(id, "maintenance"),
		Reason:   "Gatus maintenance window",
		Match:    importer.Match{Monitors: monitors},
		Cron:     fmt.Sprintf("%d %d * * %s", mi, h, days),
		Duration: importer.Duration(d),
		Timezone: w.Timezone,
	}
	m.f.Maintenance = append(m.f.Maintenance, mw)
}

// providers maps the alerting providers to channels.
func (m *mapper) providers(alerting map[string]yaml.Node) {
	for _, typ := range sortedKeys(alerting) {
		node := alerting[typ]
		item := "alerting." + typ
		var p map[string]any
		if err := node.Decode(&p); err != nil {
			m.notes.Add(item, "not mapped: %v", err)
			continue
		}
		if d, ok := p["default-alert"]; ok {
			var a Alert
			if b, err := yaml.Marshal(d); err == nil && yaml.Unmarshal(b, &a) == nil {
				m.defaults[typ] = a
			}
		}
		if _, ok := p["overrides"]; ok {
			m.notes.Add(item, "overrides per group not mapped: make one channel per group by hand")
		}
		ch, ok := m.provider(typ, item, p)
		if !ok {
			continue
		}
		ch.ID = m.chanIDs.Make(typ, "channel")
		ch.Comment = "Gatus alerting provider " + typ
		m.channels[typ] = ch.ID
		m.f.Channels = append(m.f.Channels, ch)
	}
}

func str(p map[string]any, k string) string {
	switch v := p[k].(type) {
	case string:
		return envRefs(v)
	case int, int64, float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

func (m *mapper) provider(typ, item string, p map[string]any) (importer.Channel, bool) {
	need := func(keys ...string) bool {
		for _, k := range keys {
			if str(p, k) == "" {
				m.notes.Add(item, "not mapped: %s is empty", k)
				return false
			}
		}
		return true
	}
	switch typ {
	case "slack", "discord", "mattermost", "teams-workflows":
		if !need("webhook-url") {
			break
		}
		t := typ
		if t == "teams-workflows" {
			t = "teams"
		}
		return importer.Channel{Type: t, Block: &importer.ChatBlock{WebhookURL: str(p, "webhook-url")}}, true
	case "teams":
		m.notes.Add(item, "not mapped: Microsoft retired Office 365 connector webhooks; make a Teams workflow webhook and a channel of type teams by hand")
	case "googlechat":
		if !need("webhook-url") {
			break
		}
		u := str(p, "webhook-url")
		return importer.Channel{Type: "googlechat", Block: &importer.ChatBlock{URL: "googlechat://" + strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")}}, true
	case "telegram":
		if !need("token", "id") {
			break
		}
		return importer.Channel{Type: "telegram", Block: &importer.ChatBlock{Token: str(p, "token"), Chats: []string{str(p, "id")}}}, true
	case "ntfy":
		if !need("topic") {
			break
		}
		blk := &importer.ChatBlock{Topic: str(p, "topic")}
		if raw := str(p, "url"); raw != "" {
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" {
				m.notes.Add(item, "not mapped: url %q is not a URL", raw)
				break
			}
			blk.Server, blk.Insecure = u.Host, u.Scheme == "http"
		}
		if str(p, "token") != "" {
			m.notes.Add(item, "token not mapped: write it into the channel's url (ntfy://:TOKEN@HOST/TOPIC) by hand")
		}
		return importer.Channel{Type: "ntfy", Block: blk}, true
	case "gotify":
		if !need("server-url", "token") {
			break
		}
		u, err := url.Parse(str(p, "server-url"))
		if err != nil || u.Host == "" {
			m.notes.Add(item, "not mapped: server-url is not a URL")
			break
		}
		return importer.Channel{Type: "gotify", Block: &importer.ChatBlock{Server: u.Host, Token: str(p, "token"), Insecure: u.Scheme == "http"}}, true
	case "pushover":
		if !need("application-token", "user-key") {
			break
		}
		return importer.Channel{Type: "pushover", Block: &importer.ChatBlock{Token: str(p, "application-token"), User: str(p, "user-key")}}, true
	case "pagerduty":
		if !need("integration-key") {
			break
		}
		return importer.Channel{Type: "pagerduty", Block: &importer.PagerDutyBlock{RoutingKey: str(p, "integration-key")}}, true
	case "email":
		if !need("host", "from", "to") {
			break
		}
		port, _ := strconv.Atoi(str(p, "port"))
		blk := &importer.EmailBlock{Host: str(p, "host"), Port: port, Username: str(p, "username"), Password: str(p, "password"), From: str(p, "from")}
		if port == 465 {
			blk.TLS = "tls"
		}
		if c, ok := p["client"].(map[string]any); ok && c["insecure"] == true {
			blk.InsecureSkipVerify = true
		}
		for _, to := range strings.Split(str(p, "to"), ",") {
			if to = strings.TrimSpace(to); to != "" {
				blk.To = append(blk.To, to)
			}
		}
		return importer.Channel{Type: "email", Block: blk}, true
	case "custom":
		if !need("url") {
			break
		}
		blk := &importer.WebhookBlock{URL: str(p, "url")}
		if h, ok := p["headers"].(map[string]any); ok {
			blk.Headers = map[string]string{}
			for k := range h {
				blk.Headers[k] = str(h, k)
			}
		}
		if str(p, "body") != "" || (str(p, "method") != "" && !strings.EqualFold(str(p, "method"), "POST")) {
			m.notes.Add(item, "method and body template not mapped: Tocsin's webhook POSTs its own JSON (docs/notifications.md)")
		}
		return importer.Channel{Type: "webhook", Block: blk}, true
	case "twilio":
		if !need("sid", "token", "from", "to") {
			break
		}
		return importer.Channel{Type: "twilio", Block: &importer.TwilioBlock{AccountSID: str(p, "sid"), AuthToken: str(p, "token"), From: str(p, "from"), To: []string{str(p, "to")}}}, true
	case "opsgenie":
		if !need("api-key") {
			break
		}
		return importer.Channel{Type: "opsgenie", Block: &importer.ChatBlock{URL: "opsgenie://api.opsgenie.com/" + str(p, "api-key")}}, true
	default:
		m.notes.Add(item, "not mapped: Tocsin has no %s channel", typ)
	}
	return importer.Channel{}, false
}
