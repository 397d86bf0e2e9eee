package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// Alert changes are applied a batch at a time. The rows a batch touches
// are read in a few statements, the changes are applied one after the
// other to that copy in memory (with the same rules, in the same order, as
// one change at a time against the database), and what changed is written
// back in a few multi-row statements. Applied one change at a time, a
// recovery took about ten statements; on PostgreSQL each is a round trip,
// and in a storm of 30,000 recoveries the batch writer, which every result
// and notification waits behind, spent most of its time waiting for them.

// changeChunk bounds the ids of one IN list and the rows of one multi-row
// statement of the alert changes.
const changeChunk = 500

// pairChunk bounds the (alert, monitor) pairs one read of members looks
// up, each a term of an OR: SQLite nests each term one level deeper, and
// refuses expressions deeper than 1,000.
const pairChunk = 100

// resolveDropped are the timer kinds a resolved alert no longer needs.
var resolveDropped = []string{store.TimerStep, store.TimerContact, store.TimerUpdate, store.TimerUnsnooze}

// batchAlert is an alert as a batch of changes sees it.
type batchAlert struct {
	id                   int64 // 0 until a new alert is inserted
	key, service, policy string
	openedAt             int64
	step                 int
	updated              sql.NullInt64
	isNew                bool
	resolved             bool // resolved by this batch
	resolvedBy           string
	resolvedAt           int64
	paged                bool // someone was notified of it
	pendingUpdate        bool // an update timer is waiting
	downN                int  // its monitors that are down, stored or not
	// members are the alert's monitors this batch can touch, in the order
	// loaded or joined (not every monitor of a large alert is loaded).
	members map[string]*batchMember
	order   []*batchMember
}

// set changes m's status, keeping the count of monitors down.
func (a *batchAlert) set(m *batchMember, status string) {
	if m.status == "down" {
		a.downN--
	}
	if status == "down" {
		a.downN++
	}
	m.status = status
}

// batchMember is one monitor of an alert (a row of alert_monitors).
type batchMember struct {
	alert                        *batchAlert
	monitor, status, reason, imp string
	joinedAt, changedAt          int64
	isNew, dirty                 bool
}

type batchAction struct {
	alert *batchAlert
	a     store.AlertAction
}

type batchTimer struct {
	alert *batchAlert
	t     store.AlertTimer
}

// alertBatch is the copy in memory and what is to be written.
type alertBatch struct {
	active  map[string]*batchAlert // the unresolved alert of each group key
	alerts  []*batchAlert          // every alert loaded or opened, in that order
	byID    map[int64]*batchAlert
	actions []batchAction
	timers  []batchTimer
}

func (b *alertBatch) add(a *batchAlert) {
	b.alerts = append(b.alerts, a)
	if a.id != 0 {
		b.byID[a.id] = a
	}
	if !a.resolved {
		b.active[a.key] = a
	}
}

// join adds m to a: a stored member as loaded (already counted), a new
// one as it joins.
func (b *alertBatch) join(a *batchAlert, m *batchMember) {
	if m.isNew && m.status == "down" {
		a.downN++
	}
	m.alert = a
	a.members[m.monitor] = m
	a.order = append(a.order, m)
}

func (b *alertBatch) action(a *batchAlert, act store.AlertAction) {
	b.actions = append(b.actions, batchAction{alert: a, a: act})
}

func (b *alertBatch) timer(a *batchAlert, t store.AlertTimer) {
	if t.Kind == store.TimerUpdate {
		a.pendingUpdate = true
	}
	b.timers = append(b.timers, batchTimer{alert: a, t: t})
}

// saveAlertChanges applies the alert changes of a batch inside its
// transaction.
func (d *DB) saveAlertChanges(ctx context.Context, tx *sql.Tx, cs []store.AlertChange) error {
	if len(cs) == 0 {
		return nil
	}
	for i := range cs {
		c := &cs[i]
		c.GroupKey, c.MonitorID, c.ServiceID, c.PolicyID, c.Reason, c.ImpactedBy, c.Released = text(c.GroupKey), text(c.MonitorID), text(c.ServiceID), text(c.PolicyID), text(c.Reason), text(c.ImpactedBy), text(c.Released)
	}
	b, err := d.loadAlertBatch(ctx, tx, cs)
	if err != nil {
		return fmt.Errorf("save alert changes: %w", err)
	}
	for _, c := range cs {
		b.apply(c)
	}
	if err := d.writeAlertBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("save alert changes: %w", err)
	}
	return nil
}

// apply applies one change to the copy in memory.
func (b *alertBatch) apply(c store.AlertChange) {
	at := ms(c.Time)
	if c.Released != "" && !b.release(c, at) {
		return
	}
	a := b.active[c.GroupKey]
	if a == nil {
		if !c.Down {
			return // a recovery no alert waits for
		}
		a = &batchAlert{key: c.GroupKey, service: c.ServiceID, policy: c.PolicyID, openedAt: at, isNew: true, members: map[string]*batchMember{}}
		b.add(a)
		b.join(a, &batchMember{monitor: c.MonitorID, status: "down", reason: c.Reason, joinedAt: at, changedAt: at, imp: c.ImpactedBy, isNew: true})
		b.action(a, store.AlertAction{Time: c.Time, Kind: store.ActionOpened, Who: "system", Detail: "monitor " + c.MonitorID + " failed: " + c.Reason})
		if !c.FirstStep.IsZero() {
			b.timer(a, store.AlertTimer{DueAt: c.FirstStep, Kind: store.TimerStep, Step: 1})
		}
		return
	}
	m := a.members[c.MonitorID]
	if !c.Down {
		if m == nil || m.status != "down" {
			return
		}
		a.set(m, "up")
		m.changedAt, m.dirty = at, true
		b.action(a, store.AlertAction{Time: c.Time, Kind: store.ActionRecovered, Who: "system", Detail: "monitor " + c.MonitorID + " recovered"})
		if a.downN == 0 {
			b.resolve(a, "system", at, "every monitor recovered")
		}
		return
	}
	switch {
	case m != nil && m.status == "down":
		m.reason, m.dirty = c.Reason, true
		return
	case m != nil:
		a.set(m, "down")
		m.reason, m.changedAt, m.imp, m.dirty = c.Reason, at, c.ImpactedBy, true
	default:
		b.join(a, &batchMember{monitor: c.MonitorID, status: "down", reason: c.Reason, joinedAt: at, changedAt: at, imp: c.ImpactedBy, isNew: true})
	}
	detail := "monitor " + c.MonitorID + " failed: " + c.Reason
	if c.ImpactedBy != "" {
		detail = "monitor " + c.MonitorID + " failed, impacted by " + c.ImpactedBy + ": " + c.Reason
	}
	b.action(a, store.AlertAction{Time: c.Time, Kind: store.ActionJoined, Who: "system", Detail: detail})
	// Before the first page nobody needs an update: the page lists every
	// monitor. After it, one alert.updated per interval at most: a
	// pending update timer carries every join until it fires.
	if a.step == 0 || a.pendingUpdate {
		return
	}
	due := c.Time
	if a.updated.Valid {
		if next := fromMS(a.updated.Int64).Add(c.UpdateEvery); next.After(due) {
			due = next
		}
	}
	b.timer(a, store.AlertTimer{DueAt: due, Kind: store.TimerUpdate})
}

// release takes c's monitor out of the active alerts it joined as
// impacted by c.Released, and reports whether it was in any.
func (b *alertBatch) release(c store.AlertChange, at int64) bool {
	var from []*batchAlert
	for _, a := range b.alerts {
		if m := a.members[c.MonitorID]; !a.resolved && m != nil && m.status == "down" && m.imp == c.Released {
			from = append(from, a)
		}
	}
	slices.SortStableFunc(from, func(x, y *batchAlert) int { return compare(x.id, y.id) })
	for _, a := range from {
		m := a.members[c.MonitorID]
		a.set(m, "moved")
		m.changedAt, m.dirty = at, true
		b.action(a, store.AlertAction{Time: c.Time, Kind: store.ActionRecovered, Who: "system",
			Detail: "monitor " + c.MonitorID + " is still failing on its own: " + c.Released + " recovered"})
		if a.downN == 0 {
			b.resolve(a, "system", at, "every monitor recovered")
		}
	}
	return len(from) > 0
}

// resolve ends an alert as resolveAlert does: its escalation stops, and
// everyone paged hears that it is resolved.
func (b *alertBatch) resolve(a *batchAlert, who string, at int64, detail string) {
	a.resolved, a.resolvedBy, a.resolvedAt = true, who, at
	if b.active[a.key] == a {
		delete(b.active, a.key)
	}
	// The timers this batch queued and resolving drops are not written.
	b.timers = slices.DeleteFunc(b.timers, func(t batchTimer) bool {
		return t.alert == a && slices.Contains(resolveDropped, t.t.Kind)
	})
	a.pendingUpdate = false
	b.action(a, store.AlertAction{Time: fromMS(at), Kind: store.ActionResolved, Who: who, Detail: detail})
	if a.paged {
		b.timer(a, store.AlertTimer{DueAt: fromMS(at), Kind: store.TimerNotify, Payload: notify.EventAlertResolved})
	}
}

// loadAlertBatch reads what the changes cs can touch: the active alerts
// of their group keys, the active alerts their released monitors joined
// as impacted, every monitor of those alerts, and whether each alert has
// paged someone or waits on an update timer.
func (d *DB) loadAlertBatch(ctx context.Context, tx *sql.Tx, cs []store.AlertChange) (*alertBatch, error) {
	b := &alertBatch{active: map[string]*batchAlert{}, byID: map[int64]*batchAlert{}}
	var keys, released []any
	seenKey, seenMon := map[string]bool{}, map[string]bool{}
	for _, c := range cs {
		if !seenKey[c.GroupKey] {
			seenKey[c.GroupKey] = true
			keys = append(keys, c.GroupKey)
		}
		if c.Released != "" && !seenMon[c.MonitorID] {
			seenMon[c.MonitorID] = true
			released = append(released, c.MonitorID)
		}
	}
	const cols = "SELECT id, group_key, service_id, policy_id, opened_at, step, updated_at FROM alerts WHERE "
	// In id order, so that writers sharing alerts lock them in one order.
	if err := eachChunk(keys, func(part []any) error {
		return d.loadAlerts(ctx, tx, b, cols+"state <> 'resolved' AND group_key IN ("+inList(len(part))+") ORDER BY id"+d.forUpdate(), part)
	}); err != nil {
		return nil, err
	}
	// The members to load: each change's monitor in its key's alert, and
	// each released monitor where it is down as impacted.
	type pair struct {
		alert   int64
		monitor string
	}
	var pairs []pair
	seenPair := map[pair]bool{}
	addPair := func(p pair) {
		if !seenPair[p] {
			seenPair[p] = true
			pairs = append(pairs, p)
		}
	}
	for _, c := range cs {
		if a := b.active[c.GroupKey]; a != nil {
			addPair(pair{a.id, c.MonitorID})
		}
	}
	if len(released) > 0 {
		var more []any
		if err := eachChunk(released, func(part []any) error {
			rows, err := tx.QueryContext(ctx, d.q("SELECT am.alert_id, am.monitor_id FROM alert_monitors am JOIN alerts a ON a.id = am.alert_id "+
				"WHERE am.monitor_id IN ("+inList(len(part))+") AND am.impacted_by <> '' AND am.status = 'down' AND a.state <> 'resolved' ORDER BY am.alert_id"), part...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p pair
				if err := rows.Scan(&p.alert, &p.monitor); err != nil {
					rows.Close()
					return err
				}
				addPair(p)
				if b.byID[p.alert] == nil {
					more = append(more, p.alert)
				}
			}
			return rowsDone(rows)
		}); err != nil {
			return nil, err
		}
		if err := eachChunk(slices.Compact(more), func(part []any) error {
			return d.loadAlerts(ctx, tx, b, cols+"id IN ("+inList(len(part))+") ORDER BY id"+d.forUpdate(), part)
		}); err != nil {
			return nil, err
		}
	}
	// Each pair is its own term: "alert_id IN (…) AND monitor_id IN (…)"
	// made SQLite probe the primary key for every alert and monitor
	// combination, thousands of probes per chunk.
	for part := range slices.Chunk(pairs, pairChunk) {
		terms := make([]string, len(part))
		args := make([]any, 0, 2*len(part))
		for i, p := range part {
			terms[i] = "(alert_id = ? AND monitor_id = ?)"
			args = append(args, p.alert, p.monitor)
		}
		rows, err := tx.QueryContext(ctx, d.q("SELECT alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by FROM alert_monitors WHERE "+
			strings.Join(terms, " OR ")), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			m := &batchMember{}
			if err := rows.Scan(&id, &m.monitor, &m.status, &m.reason, &m.joinedAt, &m.changedAt, &m.imp); err != nil {
				rows.Close()
				return nil, err
			}
			if a := b.byID[id]; a != nil && a.members[m.monitor] == nil {
				b.join(a, m)
			}
		}
		if err := rowsDone(rows); err != nil {
			return nil, err
		}
	}
	ids := make([]any, 0, len(b.byID))
	for _, a := range b.alerts {
		ids = append(ids, a.id)
	}
	err := eachChunk(ids, func(part []any) error {
		in := inList(len(part))
		rows, err := tx.QueryContext(ctx, d.q("SELECT alert_id, COUNT(*) FROM alert_monitors WHERE status = 'down' AND alert_id IN ("+in+") GROUP BY alert_id"), part...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			b.byID[id].downN = n
		}
		if err := rowsDone(rows); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, d.q("SELECT DISTINCT alert_id FROM alert_actions WHERE kind = ? AND alert_id IN ("+in+")"), append([]any{store.ActionNotified}, part...)...)
		if err != nil {
			return err
		}
		paged, err := scanInt64s(rows)
		if err != nil {
			return err
		}
		for _, id := range paged {
			b.byID[id].paged = true
		}
		rows, err = tx.QueryContext(ctx, d.q("SELECT DISTINCT alert_id FROM alert_timers WHERE kind = ? AND alert_id IN ("+in+")"), append([]any{store.TimerUpdate}, part...)...)
		if err != nil {
			return err
		}
		waiting, err := scanInt64s(rows)
		for _, id := range waiting {
			b.byID[id].pendingUpdate = true
		}
		return err
	})
	return b, err
}

func (d *DB) loadAlerts(ctx context.Context, tx *sql.Tx, b *alertBatch, query string, args []any) error {
	rows, err := tx.QueryContext(ctx, d.q(query), args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		a := &batchAlert{members: map[string]*batchMember{}}
		if err := rows.Scan(&a.id, &a.key, &a.service, &a.policy, &a.openedAt, &a.step, &a.updated); err != nil {
			rows.Close()
			return err
		}
		if b.byID[a.id] == nil {
			b.add(a)
		}
	}
	return rowsDone(rows)
}

// scanInt64s reads one integer column and closes rows.
func scanInt64s(rows *sql.Rows) ([]int64, error) {
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	return out, rowsDone(rows)
}

// eachChunk calls f with args changeChunk at a time.
func eachChunk(args []any, f func(part []any) error) error {
	for part := range slices.Chunk(args, changeChunk) {
		if err := f(part); err != nil {
			return err
		}
	}
	return nil
}

// distinctChunks splits rows, in order, into chunks of at most max rows in
// which no two rows share a key: a multi-row statement whose RETURNING
// rows are matched back by key, or an UPDATE … FROM that changes a row
// once however often it names it, needs each key once. A row whose key
// repeats goes to a later chunk, after the one before it.
func distinctChunks[T any, K comparable](rows []T, max int, key func(T) K) [][]T {
	var out [][]T
	for len(rows) > 0 {
		var part, rest []T
		seen := map[K]bool{}
		for _, r := range rows {
			if k := key(r); !seen[k] && len(part) < max {
				seen[k] = true
				part = append(part, r)
			} else {
				rest = append(rest, r)
			}
		}
		out, rows = append(out, part), rest
	}
	return out
}

// writeAlertBatch writes what the changes did. Existing alerts resolved
// are written before new ones are inserted: a group key's new alert may
// follow its old one, and only one of them may be unresolved at a time.
func (d *DB) writeAlertBatch(ctx context.Context, tx *sql.Tx, b *alertBatch) error {
	var resolved [][]any
	var dropFor []any
	for _, a := range b.alerts {
		if !a.isNew && a.resolved {
			resolved = append(resolved, []any{a.id, a.resolvedBy, a.resolvedAt})
			dropFor = append(dropFor, a.id)
		}
	}
	if err := d.updateRows(ctx, tx, "alerts", []string{"id"}, []string{"resolved_by", "resolved_at"}, "state = 'resolved', snoozed_until = NULL",
		[]string{"bigint", "text", "bigint"}, resolved); err != nil {
		return fmt.Errorf("resolve alerts: %w", err)
	}
	kinds := make([]any, len(resolveDropped))
	for i, k := range resolveDropped {
		kinds[i] = k
	}
	if err := eachChunk(dropFor, func(part []any) error {
		_, err := tx.ExecContext(ctx, d.q("DELETE FROM alert_timers WHERE kind IN ("+inList(len(kinds))+") AND alert_id IN ("+inList(len(part))+")"), append(slices.Clone(kinds), part...)...)
		return err
	}); err != nil {
		return fmt.Errorf("drop the timers of resolved alerts: %w", err)
	}
	if err := d.insertAlerts(ctx, tx, b); err != nil {
		return err
	}

	var newMembers []any
	var changed [][]any
	for _, a := range b.alerts {
		for _, m := range a.order {
			switch {
			case m.isNew:
				newMembers = append(newMembers, a.id, m.monitor, m.status, m.reason, m.joinedAt, m.changedAt, m.imp)
			case m.dirty:
				changed = append(changed, []any{a.id, m.monitor, m.status, m.reason, m.changedAt, m.imp})
			}
		}
	}
	if err := d.insertChunks(ctx, tx, "INSERT INTO alert_monitors (alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by) VALUES %s", 7, changeChunk, newMembers); err != nil {
		return fmt.Errorf("add monitors to alerts: %w", err)
	}
	if err := d.updateRows(ctx, tx, "alert_monitors", []string{"alert_id", "monitor_id"}, []string{"status", "reason", "changed_at", "impacted_by"}, "",
		[]string{"bigint", "text", "text", "text", "bigint", "text"}, changed); err != nil {
		return fmt.Errorf("change the monitors of alerts: %w", err)
	}
	acts := make([]any, 0, 10*len(b.actions))
	for _, x := range b.actions {
		a := x.a
		acts = append(acts, x.alert.id, ms(a.Time), a.Kind, a.Who, a.Step, a.Round, a.Target, a.Channel, a.Address, a.Detail)
	}
	if err := d.insertChunks(ctx, tx, "INSERT INTO alert_actions (alert_id, t, kind, who, step, round, target, channel, address, detail) VALUES %s", 10, changeChunk/2, acts); err != nil {
		return fmt.Errorf("log alert actions: %w", err)
	}
	timers := make([]any, 0, 6*len(b.timers))
	for _, x := range b.timers {
		t := x.t
		timers = append(timers, x.alert.id, ms(t.DueAt), t.Kind, t.Step, t.Round, t.Payload)
	}
	if err := d.insertChunks(ctx, tx, "INSERT INTO alert_timers (alert_id, due_at, kind, step, round, payload) VALUES %s", 6, changeChunk, timers); err != nil {
		return fmt.Errorf("queue alert timers: %w", err)
	}
	return nil
}

// insertAlerts inserts the batch's new alerts, in their final state, and
// gives each its id. A statement's RETURNING rows are matched to its
// alerts by group key, so no statement holds two alerts of one key.
func (d *DB) insertAlerts(ctx context.Context, tx *sql.Tx, b *alertBatch) error {
	var pending []*batchAlert
	for _, a := range b.alerts {
		if a.isNew {
			pending = append(pending, a)
		}
	}
	for _, part := range distinctChunks(pending, changeChunk, func(a *batchAlert) string { return a.key }) {
		keys := make(map[string]*batchAlert, len(part))
		for _, a := range part {
			keys[a.key] = a
		}
		args := make([]any, 0, 7*len(part))
		for _, a := range part {
			state, resolvedAt := "open", any(nil)
			if a.resolved {
				state, resolvedAt = "resolved", a.resolvedAt
			}
			args = append(args, a.key, a.service, a.policy, state, a.openedAt, a.resolvedBy, resolvedAt)
		}
		rows, err := tx.QueryContext(ctx, d.q("INSERT INTO alerts (group_key, service_id, policy_id, state, opened_at, resolved_by, resolved_at) VALUES "+
			placeholders(len(part), 7)+" RETURNING id, group_key"), args...)
		if err != nil {
			return fmt.Errorf("open alerts: %w", err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return fmt.Errorf("open alerts: %w", err)
			}
			if a := keys[key]; a != nil {
				a.id = id
				b.byID[id] = a
			}
		}
		if err := rowsDone(rows); err != nil {
			return fmt.Errorf("open alerts: %w", err)
		}
		for _, a := range part {
			if a.id == 0 {
				return fmt.Errorf("open alerts: no id returned for group %q", a.key)
			}
		}
	}
	return nil
}

// updateRows sets columns of many rows, each to its own values. Each of
// rows holds the values of keys, then those of cols; fixed is set on
// every row ("state = 'resolved'"), and types are the SQL types of keys
// and cols, which a VALUES list of parameters does not carry. On
// PostgreSQL that is one UPDATE … FROM (VALUES …) per chunk; on SQLite,
// whose statements cost no round trip, one prepared UPDATE per row.
func (d *DB) updateRows(ctx context.Context, tx *sql.Tx, table string, keys, cols []string, fixed string, types []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	var set []string
	if fixed != "" {
		set = append(set, fixed)
	}
	if !d.postgres {
		var where []string
		for _, c := range cols {
			set = append(set, c+" = ?")
		}
		for _, k := range keys {
			where = append(where, k+" = ?")
		}
		st, err := tx.PrepareContext(ctx, "UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE "+strings.Join(where, " AND "))
		if err != nil {
			return err
		}
		defer st.Close()
		args := make([]any, len(keys)+len(cols))
		for _, r := range rows {
			copy(args, r[len(keys):])
			copy(args[len(cols):], r[:len(keys)])
			if _, err := st.ExecContext(ctx, textArgs(args...)...); err != nil {
				return err
			}
		}
		return nil
	}
	var where []string
	for _, c := range cols {
		set = append(set, c+" = v."+c)
	}
	for _, k := range keys {
		where = append(where, table+"."+k+" = v."+k)
	}
	one := make([]string, len(types))
	for i, t := range types {
		one[i] = "CAST(? AS " + t + ")"
	}
	row := "(" + strings.Join(one, ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), changeChunk)
		args := make([]any, 0, n*len(types))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := "UPDATE " + table + " SET " + strings.Join(set, ", ") + " FROM (VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
			") AS v(" + strings.Join(append(slices.Clone(keys), cols...), ", ") + ") WHERE " + strings.Join(where, " AND ")
		if _, err := tx.ExecContext(ctx, d.q(q), textArgs(args...)...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
