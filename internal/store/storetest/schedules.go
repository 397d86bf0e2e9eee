package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testCalendarTokens covers the tokens of the iCal feeds: create, look up
// by hash, list by subject, touch, revoke, the error codes, hostile text,
// a huge subject and concurrent creators.
func testCalendarTokens(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	u, err := s.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "h"})
	must(t, err, "CreateUser")
	v, err := s.CreateUser(ctx, store.User{Name: "bob", PasswordHash: "h"})
	must(t, err, "CreateUser")

	sched, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarSchedule, Subject: "support", TokenHash: []byte("c1"), Prefix: "tcal_ab", CreatedBy: u.ID})
	must(t, err, "CreateCalendarToken(schedule)")
	if sched.ID == 0 || !sched.CreatedAt.Equal(now) || !sched.LastUsedAt.IsZero() {
		t.Errorf("CreateCalendarToken = %+v", sched)
	}
	person, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarPerson, Subject: "ann", TokenHash: []byte("c2"), Prefix: "tcal_cd", CreatedBy: v.ID})
	must(t, err, "CreateCalendarToken(person)")
	// The same subject may have several tokens; a person and a schedule may share an id.
	sched2, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarSchedule, Subject: "support", TokenHash: []byte("c3"), Prefix: "tcal_ef", CreatedBy: v.ID})
	must(t, err, "CreateCalendarToken(second)")
	_, err = s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarPerson, Subject: "support", TokenHash: []byte("c4"), Prefix: "tcal_gh", CreatedBy: v.ID})
	must(t, err, "CreateCalendarToken(person named like a schedule)")

	for _, tc := range []struct {
		name string
		tok  store.CalendarToken
		code string
	}{
		{"taken hash", store.CalendarToken{Kind: store.CalendarSchedule, Subject: "x", TokenHash: []byte("c1"), CreatedBy: u.ID}, errs.ECONFLICT},
		{"unknown user", store.CalendarToken{Kind: store.CalendarSchedule, Subject: "x", TokenHash: []byte("c9"), CreatedBy: 999999}, errs.ENOTFOUND},
		{"unknown kind", store.CalendarToken{Kind: "team", Subject: "x", TokenHash: []byte("c9"), CreatedBy: u.ID}, errs.EINVALID},
		{"empty subject", store.CalendarToken{Kind: store.CalendarPerson, TokenHash: []byte("c9"), CreatedBy: u.ID}, errs.EINVALID},
		{"empty hash", store.CalendarToken{Kind: store.CalendarPerson, Subject: "x", CreatedBy: u.ID}, errs.EINVALID},
	} {
		_, err := s.CreateCalendarToken(ctx, tc.tok)
		wantCode(t, err, tc.code, "CreateCalendarToken("+tc.name+")")
	}

	got, err := s.CalendarTokenByHash(ctx, []byte("c2"))
	must(t, err, "CalendarTokenByHash")
	if diff := cmp.Diff(person, got); diff != "" {
		t.Errorf("CalendarTokenByHash (-want +got):\n%s", diff)
	}
	_, err = s.CalendarTokenByHash(ctx, []byte("nope"))
	wantCode(t, err, errs.ENOTFOUND, "CalendarTokenByHash(unknown)")

	list, err := s.CalendarTokens(ctx, store.CalendarSchedule, "support")
	must(t, err, "CalendarTokens")
	if diff := cmp.Diff([]store.CalendarToken{sched, sched2}, list); diff != "" {
		t.Errorf("CalendarTokens(schedule support) (-want +got):\n%s", diff)
	}
	if all, err := s.CalendarTokens(ctx, "", ""); err != nil || len(all) != 4 {
		t.Errorf("CalendarTokens(all) = %d tokens, %v; want 4", len(all), err)
	}
	if none, err := s.CalendarTokens(ctx, store.CalendarPerson, "nobody"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("CalendarTokens(nobody) = %#v, %v; want an empty list", none, err)
	}

	used := now.Add(90 * time.Minute)
	must(t, s.TouchCalendarToken(ctx, sched.ID, used), "TouchCalendarToken")
	if got, err := s.CalendarTokenByHash(ctx, []byte("c1")); err != nil || !got.LastUsedAt.Equal(used) {
		t.Errorf("after touch: %+v, %v", got, err)
	}
	wantCode(t, s.TouchCalendarToken(ctx, 999999, used), errs.ENOTFOUND, "TouchCalendarToken(unknown)")

	must(t, s.DeleteCalendarToken(ctx, sched.ID), "DeleteCalendarToken")
	wantCode(t, s.DeleteCalendarToken(ctx, sched.ID), errs.ENOTFOUND, "DeleteCalendarToken(again)")
	_, err = s.CalendarTokenByHash(ctx, []byte("c1"))
	wantCode(t, err, errs.ENOTFOUND, "CalendarTokenByHash(revoked)")

	// Hostile and huge text is stored as the text contract says and found
	// again by either spelling.
	hostile, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarPerson, Subject: bad("ann"), TokenHash: []byte("c5\x00\xff"), Prefix: bad("tcal"), CreatedBy: u.ID})
	must(t, err, "CreateCalendarToken(hostile)")
	if hostile.Subject != fixed("ann") || hostile.Prefix != fixed("tcal") {
		t.Errorf("hostile token = %+v", hostile)
	}
	for _, subj := range []string{bad("ann"), fixed("ann")} {
		if l, err := s.CalendarTokens(ctx, store.CalendarPerson, subj); err != nil || len(l) != 1 || l[0].ID != hostile.ID {
			t.Errorf("CalendarTokens(%q) = %+v, %v", subj, l, err)
		}
	}
	if got, err := s.CalendarTokenByHash(ctx, []byte("c5\x00\xff")); err != nil || got.ID != hostile.ID {
		t.Errorf("CalendarTokenByHash(binary hash) = %+v, %v", got, err)
	}
	huge := strings.Repeat("s", 1<<16)
	if h, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarSchedule, Subject: huge, TokenHash: []byte("c6"), CreatedBy: u.ID}); err != nil || h.Subject != huge {
		t.Errorf("CreateCalendarToken(64 KiB subject) = %d bytes, %v", len(h.Subject), err)
	}

	// Concurrent creators each get their own token.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	errc := make([]error, 8)
	for i := range ids {
		wg.Go(func() {
			tok, err := s.CreateCalendarToken(ctx, store.CalendarToken{Kind: store.CalendarSchedule, Subject: "busy", TokenHash: []byte{'k', byte(i)}, CreatedBy: u.ID})
			ids[i], errc[i] = tok.ID, err
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, id := range ids {
		if errc[i] != nil || id == 0 || seen[id] {
			t.Errorf("concurrent create %d: id %d, %v", i, id, errc[i])
		}
		seen[id] = true
	}
	if l, err := s.CalendarTokens(ctx, store.CalendarSchedule, "busy"); err != nil || len(l) != len(ids) {
		t.Errorf("CalendarTokens(busy) = %d, %v; want %d", len(l), err, len(ids))
	}
}
