package storetest

import (
	"sync"
	"testing"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testLastAdmin: SetUserRoleUnlessLastAdmin changes any role but that of
// the last administrator, and says which of a missing user, a role that
// is none and the last administrator it refused.
func testLastAdmin(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	ada, err := s.CreateUser(ctx, store.User{Name: "ada", Role: store.RoleAdmin})
	must(t, err, "CreateUser(ada)")
	bob, err := s.CreateUser(ctx, store.User{Name: "bob", Role: store.RoleViewer})
	must(t, err, "CreateUser(bob)")
	must(t, s.SetUserRoleUnlessLastAdmin(ctx, bob.ID, store.RoleResponder), "bob to responder")
	wantCode(t, s.SetUserRoleUnlessLastAdmin(ctx, ada.ID, store.RoleViewer), errs.ECONFLICT, "demote the last administrator")
	must(t, s.SetUserRoleUnlessLastAdmin(ctx, ada.ID, store.RoleAdmin), "the last administrator stays one")
	must(t, s.SetUserRoleUnlessLastAdmin(ctx, bob.ID, store.RoleAdmin), "promote bob")
	must(t, s.SetUserRoleUnlessLastAdmin(ctx, ada.ID, store.RoleResponder), "demote ada with bob an administrator")
	wantCode(t, s.SetUserRoleUnlessLastAdmin(ctx, bob.ID, store.RoleViewer), errs.ECONFLICT, "demote bob, now the last")
	wantCode(t, s.SetUserRoleUnlessLastAdmin(ctx, 999999, store.RoleViewer), errs.ENOTFOUND, "unknown user")
	wantCode(t, s.SetUserRoleUnlessLastAdmin(ctx, bob.ID, "root"), errs.EINVALID, "role root")
	for id, want := range map[int64]store.Role{ada.ID: store.RoleResponder, bob.ID: store.RoleAdmin} {
		if u, err := s.User(ctx, id); err != nil || u.Role != want || u.Can(store.RoleAdmin) != (want == store.RoleAdmin) {
			t.Errorf("user %d is %+v, %v; want %s", id, u, err, want)
		}
	}
}

// testConcurrentLastAdmin has two administrators demote each other at
// once, many times: each time exactly one of them succeeds and one
// administrator is left.
func testConcurrentLastAdmin(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	ada, err := s.CreateUser(ctx, store.User{Name: "ada", Role: store.RoleAdmin})
	must(t, err, "CreateUser(ada)")
	bob, err := s.CreateUser(ctx, store.User{Name: "bob", Role: store.RoleAdmin})
	must(t, err, "CreateUser(bob)")
	for round := range 30 {
		must(t, s.SetUserRole(ctx, ada.ID, store.RoleAdmin), "reset ada")
		must(t, s.SetUserRole(ctx, bob.ID, store.RoleAdmin), "reset bob")
		var wg sync.WaitGroup
		start := make(chan struct{})
		errsOf := make([]error, 2)
		for i, id := range []int64{bob.ID, ada.ID} {
			wg.Go(func() {
				<-start
				errsOf[i] = s.SetUserRoleUnlessLastAdmin(ctx, id, store.RoleViewer)
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errsOf {
			switch errs.Code(err) {
			case "":
				ok++
			case errs.ECONFLICT:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		users, err := s.Users(ctx)
		must(t, err, "Users")
		admins := 0
		for _, u := range users {
			if u.Role == store.RoleAdmin {
				admins++
			}
		}
		if ok != 1 || admins != 1 {
			t.Fatalf("round %d: %d of two demotions succeeded (%v), %d administrators left; want one and one", round, ok, errsOf, admins)
		}
	}
}
