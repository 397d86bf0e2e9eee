package config

import (
	"net"
	"net/url"
	"slices"
	"sort"
)

// DefaultOIDCScopes and DefaultGroupsClaim are what auth.oidc asks for
// and reads when the configuration does not say.
var DefaultOIDCScopes = []string{"openid", "profile", "email"}

// DefaultGroupsClaim names the ID token claim holding a person's groups.
const DefaultGroupsClaim = "groups"

// Auth configures how people sign in besides names and passwords
// (docs/security.md).
type Auth struct {
	// OIDC, when set, adds "Sign in with OIDC" to the login page.
	OIDC *OIDC `yaml:"oidc"`
}

// OIDC configures sign-in through an OpenID Connect provider: the
// authorization code flow with state, nonce and PKCE. People are made on
// their first sign-in, with the role their groups map to, re-evaluated at
// each sign-in.
type OIDC struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// ISSUER/.well-known/openid-configuration.
	Issuer string `yaml:"issuer"`
	// ClientID is the client registered at the provider.
	ClientID string `yaml:"client_id"`
	// ClientSecretFile holds the client's secret.
	ClientSecretFile string `yaml:"client_secret_file"`
	// ClientSecret is read from ClientSecretFile.
	ClientSecret string `yaml:"-"`
	// RedirectURL is this server's callback as the provider sees it:
	// https://HOST/login/oidc/callback.
	RedirectURL string `yaml:"redirect_url"`
	// Scopes asked for; default DefaultOIDCScopes. openid is required.
	Scopes []string `yaml:"scopes"`
	// GroupsClaim names the ID token claim holding the person's groups
	// (a list of strings, or one string); default "groups".
	GroupsClaim string `yaml:"groups_claim"`
	// RoleMap gives the role of each group; a person in several groups
	// gets the greatest of their roles.
	RoleMap map[string]string `yaml:"role_map"`
	// DefaultRole is the role of a person in no mapped group; "" refuses
	// them.
	DefaultRole string `yaml:"default_role"`
}

// oidcRoles are the roles auth.oidc may give, least first.
var oidcRoles = []string{"viewer", "responder", "admin"}

func (l *loader) readAuthSecrets(cfg *Config) {
	if o := cfg.Auth.OIDC; o != nil {
		l.readSecret("auth.oidc", "client_secret_file", &o.ClientSecret, &o.ClientSecretFile)
	}
}

// defaultAuth fills auth.oidc's defaults.
func defaultAuth(cfg *Config) {
	o := cfg.Auth.OIDC
	if o == nil {
		return
	}
	if len(o.Scopes) == 0 {
		o.Scopes = slices.Clone(DefaultOIDCScopes)
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = DefaultGroupsClaim
	}
}

// validateAuth checks auth.oidc: an issuer and a redirect URL that are
// absolute https URLs (http only on a loopback address), a client, the
// openid scope, and roles that are roles.
func (l *loader) validateAuth(cfg *Config) {
	o := cfg.Auth.OIDC
	if o == nil {
		return
	}
	l.secureURL("auth.oidc.issuer", o.Issuer)
	l.secureURL("auth.oidc.redirect_url", o.RedirectURL)
	if o.ClientID == "" {
		l.errAt("auth.oidc.client_id", "client_id is required: the client registered at the provider")
	}
	if o.ClientSecretFile == "" {
		l.errAt("auth.oidc.client_secret_file", "client_secret_file is required: a file holding the client's secret")
	}
	if !slices.Contains(o.Scopes, "openid") {
		l.errAt("auth.oidc.scopes", "must include openid, not %q", o.Scopes)
	}
	groups := make([]string, 0, len(o.RoleMap))
	for g := range o.RoleMap {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		if !slices.Contains(oidcRoles, o.RoleMap[g]) {
			l.errAt("auth.oidc.role_map."+g, "the role must be viewer, responder or admin, not %q", o.RoleMap[g])
		}
	}
	if o.DefaultRole != "" && !slices.Contains(oidcRoles, o.DefaultRole) {
		l.errAt("auth.oidc.default_role", "the role must be viewer, responder or admin (or left out to refuse people in no mapped group), not %q", o.DefaultRole)
	}
}

// secureURL checks that v is an absolute https URL, or http on a loopback
// address.
func (l *loader) secureURL(path, v string) {
	u, err := url.Parse(v)
	switch {
	case v == "":
		l.errAt(path, "is required: an absolute https URL")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.errAt(path, "%q is not an absolute https URL", v)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		l.errAt(path, "%q must use https (http only on a loopback address)", v)
	}
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
