package web

// What the external tests of this package look at inside it: the names of
// the session cookie and the token prefix, how secrets are hashed and
// checked, the route table, the dummy hash and the login limiter and its limits.

const (
	SessionCookie  = sessionCookie
	TokenPrefix    = tokenPrefix
	ShownPrefixLen = shownPrefixLen

	LoginMaxFailures     = loginMaxFailures
	LoginWindow          = loginWindow
	LoginNameMaxFailures = loginNameMaxFailures
)

var (
	HashSecret    = hashSecret
	CheckPassword = checkPassword
)

// RoutePatterns returns the patterns of the route table, in order.
func (s *Server) RoutePatterns() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.pattern
	}
	return out
}

// DummyHash is the hash a login that names no user is checked against.
func (s *Server) DummyHash() string { return s.dummyHash }

// LoginFailures is what the login limiter holds for the address and the
// name, nil when it holds nothing.
func (s *Server) LoginFailures(ip, name string) *loginFailures {
	return s.limiter.keys[limiterKey(ip, name)]
}

// AuditRoute names the action of a route pattern.
var AuditRoute = auditRoute

// AuthedRoutes returns the patterns of the routes behind a login.
func (s *Server) AuthedRoutes() []string {
	var out []string
	for _, rt := range s.routes {
		if rt.authed {
			out = append(out, rt.pattern)
		}
	}
	return out
}

// RouteRole is the role a route pattern needs.
var RouteRole = routeRole
