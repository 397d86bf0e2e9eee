// Package redact hides credentials in the targets Tocsin shows: monitor
// URLs and addresses in the UI, the API, logs, notifications, `tocsin
// check` and configuration errors. The probes keep using the real values;
// only what is printed is redacted, and every place that prints a target
// goes through Target, URL or Header.
//
// What is hidden (replaced by Mask):
//   - the password of a URL's user info (https://user:xxxxx@host/), or the
//     user name when no password follows it (https://xxxxx@host/): some
//     services take the key as the user name;
//   - the values of query and fragment parameters named like a secret
//     (Param: api_key, apikey, key, token, access_token, password, passwd,
//     secret, sig, signature, and more, case-insensitive);
//   - in free text, user:password@ before a host and name=value pairs whose
//     name is a secret parameter (key=value connection strings);
//   - the values of secret headers (SecretHeader: Authorization,
//     Proxy-Authorization, Cookie, X-Api-Key, ...), keeping an
//     authorization scheme such as "Bearer".
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a hidden value, as net/url's URL.Redacted does.
const Mask = "xxxxx"

// secretNames are parameter names, lower case without '-', '_' and '.',
// whose values are credentials.
var secretNames = map[string]bool{
	"key": true, "apikey": true, "token": true, "accesstoken": true, "authtoken": true,
	"password": true, "passwd": true, "pwd": true, "pass": true, "secret": true,
	"sig": true, "signature": true, "auth": true, "authorization": true,
	"credential": true, "credentials": true, "session": true, "sessionid": true, "jwt": true,
}

// secretSuffixes extend secretNames: a name ending in one of these (after
// the same normalisation) is a secret too, as in x-amz-signature,
// client_secret, refresh_token or aws_secret_access_key.
var secretSuffixes = []string{"token", "secret", "password", "passwd", "passphrase", "apikey", "signature", "credential", "accesskey", "secretkey", "privatekey", "sessionid"}

// normalise lowers name and drops '-', '_' and '.'.
func normalise(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Param reports whether a query parameter (or key=value field) of this
// name holds a credential.
func Param(name string) bool {
	n := normalise(name)
	if secretNames[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// headerWords mark a header name as secret wherever they appear in it.
var headerWords = []string{"auth", "token", "secret", "password", "passwd", "apikey", "cookie", "session", "signature", "credential"}

// SecretHeader reports whether a header of this name carries a
// credential: Authorization, Proxy-Authorization, Cookie, Set-Cookie,
// X-Api-Key, X-Auth-Token, any name ending in "key", holding one of the
// words auth, token, secret, password, passwd, apikey, cookie, session,
// signature or credential, or any name Param accepts.
func SecretHeader(name string) bool {
	n := normalise(name)
	if strings.HasSuffix(n, "key") || Param(name) {
		return true
	}
	for _, w := range headerWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Header returns value as it may be shown for header name: Mask for a
// secret header, after its authorization scheme if it has one ("Bearer
// xxxxx"); other values unchanged.
func Header(name, value string) string {
	if value == "" || !SecretHeader(name) {
		return value
	}
	if scheme, rest, ok := strings.Cut(strings.TrimSpace(value), " "); ok && rest != "" && isToken(scheme) {
		return scheme + " " + Mask
	}
	return Mask
}

// isToken reports whether s is a run of 4 to 20 letters, like an
// authorization scheme (Basic, Bearer, Digest, token, Negotiate).
func isToken(s string) bool {
	if len(s) < 4 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// URL returns u as it may be shown, without its credentials. u is not
// changed.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		name := c.User.Username()
		if pw, ok := c.User.Password(); ok && pw != "" {
			c.User = url.UserPassword(name, Mask)
		} else {
			c.User = url.User(Mask)
		}
	}
	c.RawQuery = pairs(c.RawQuery)
	frag := c.EscapedFragment()
	c.Fragment, c.RawFragment = "", ""
	s := c.String()
	if frag != "" {
		s += "#" + pairs(frag)
	}
	return s
}

// pairs hides the values of secret parameters in a raw query (or a
// fragment of name=value pairs), keeping everything else as it is.
func pairs(raw string) string {
	if raw == "" || !strings.Contains(raw, "=") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if Param(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

var (
	// urlPattern finds URLs in text; a quote, a space or an angle bracket
	// ends one (Go quotes URLs in its errors: Get "https://…": …).
	urlPattern = regexp.MustCompile(`(?i)[a-z][a-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)
	// userinfoPattern finds user:password@ outside a URL; the password
	// runs to the last '@' before a space or a slash.
	userinfoPattern = regexp.MustCompile(`([^\s:/@"'<>` + "`" + `]*):([^\s/"'<>` + "`" + `]*)@`)
	// fieldPattern finds name=value fields, a value ending at a space, '&'
	// or ';', or quoted.
	fieldPattern = regexp.MustCompile(`([A-Za-z0-9_.\-]+)=("[^"]*"|'[^']*'|[^\s&;,"'<>` + "`" + `]+)`)
)

// Target returns text that names a target — a URL, an address, a
// connection string, or a message holding one — as it may be shown: every
// URL in it as URL gives it, user:password@ with the password hidden, and
// name=value fields with a secret name (Param) hidden.
func Target(s string) string {
	if !strings.ContainsAny(s, "@=") {
		return s
	}
	if strings.Contains(s, "://") {
		s = urlPattern.ReplaceAllStringFunc(s, func(m string) string {
			// Punctuation that ends a sentence or a clause ("…/x: refused")
			// is not part of the URL.
			end := strings.TrimRight(m, ".,;:!?)]}")
			u, err := url.Parse(end)
			if err != nil {
				return m // the patterns below still apply
			}
			return URL(u) + m[len(end):]
		})
	}
	s = userinfoPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfoPattern.FindStringSubmatch(m)
		switch sub[2] {
		case Mask:
			return m
		case "": // key:@host: the name is the credential
			return Mask + ":@"
		}
		return sub[1] + ":" + Mask + "@"
	})
	return fieldPattern.ReplaceAllStringFunc(s, func(m string) string {
		name, value, _ := strings.Cut(m, "=")
		if !Param(name) {
			return m
		}
		if rest, ok := strings.CutPrefix(value, Mask); ok && strings.Trim(rest, ".,;:!?)]}") == "" {
			return m // hidden already, in a URL before a colon or a full stop
		}
		return name + "=" + Mask
	})
}
