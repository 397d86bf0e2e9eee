package store

import (
	"github.com/tocsin/tocsin/internal/errs"
)

// Role is what a user or an API token may do. Each role may do what the
// one before it may, and more:
//   - RoleViewer reads every page and API resource but the audit log;
//   - RoleResponder also acts on alerts and incidents: acknowledges,
//     resolves, silences, mutes, pauses, writes incident updates,
//     postmortems and follow-up actions;
//   - RoleAdmin also manages what configures the server: monitors and
//     heartbeats made through the API, agents, baselines, status pages,
//     users, and reads the audit log.
type Role string

// The roles, from the least to the most allowed.
const (
	RoleViewer    Role = "viewer"
	RoleResponder Role = "responder"
	RoleAdmin     Role = "admin"
)

// Roles lists the roles from the least to the most allowed.
var Roles = []Role{RoleViewer, RoleResponder, RoleAdmin}

// rank orders the roles; 0 is no role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleResponder:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r may do what need requires. No role allows
// nothing.
func (r Role) Allows(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// Min returns the less allowed of r and o.
func (r Role) Min(o Role) Role {
	if o.rank() < r.rank() {
		return o
	}
	return r
}

// ParseRole reads a role by its name; anything else is EINVALID.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", errs.Errorf(errs.EINVALID, "the role must be viewer, responder or admin, not %q", s)
	}
	return r, nil
}
