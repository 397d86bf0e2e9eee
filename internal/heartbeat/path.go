package heartbeat

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/errs"
)

// ParsePath reads the part of a ping URL after /ping/, in the forms of
// the Healthchecks.io pinging API:
//
//	{uuid}                  success
//	{uuid}/start|fail|log   start, failure, log
//	{uuid}/{exit_status}    exit status 0-255 (0 success, others failure)
//	{ping_key}/{slug}[/start|fail|log|{exit_status}]
//
// It fills in UUID or PingKey and Slug, Kind and ExitStatus, and returns
// EINVALID for anything else (a malformed uuid or slug, an exit status out
// of range, an unknown suffix).
func ParsePath(path string) (Ping, error) {
	var p Ping
	if len(path) > 512 {
		return p, errs.Errorf(errs.EINVALID, "the ping URL is too long")
	}
	parts := strings.Split(path, "/")
	if n := len(parts); n > 0 && parts[n-1] == "" && n > 1 {
		parts = parts[:n-1] // a trailing slash, as some clients send
	}
	var rest []string
	switch {
	case len(parts) >= 1 && len(parts[0]) == 36 && isUUID(parts[0]):
		p.UUID = strings.ToLower(parts[0])
		rest = parts[1:]
	case len(parts) == 1:
		return p, errs.Errorf(errs.EINVALID, "%q is not a uuid", truncate(parts[0]))
	default:
		if !validKey(parts[0]) {
			return p, errs.Errorf(errs.EINVALID, "%q is neither a uuid nor a ping key", truncate(parts[0]))
		}
		if !validSlug(parts[1]) {
			return p, errs.Errorf(errs.EINVALID, "%q is not a slug (lowercase letters, digits, '-' and '_')", truncate(parts[1]))
		}
		p.PingKey, p.Slug = parts[0], parts[1]
		rest = parts[2:]
	}
	p.Kind = KindSuccess
	switch {
	case len(rest) == 0:
	case len(rest) > 1:
		return p, errs.Errorf(errs.EINVALID, "the ping URL has too many parts")
	case rest[0] == "start":
		p.Kind = KindStart
	case rest[0] == "fail":
		p.Kind = KindFail
	case rest[0] == "log":
		p.Kind = KindLog
	default:
		n, err := strconv.Atoi(rest[0])
		if err != nil || len(rest[0]) > 3 || rest[0][0] == '+' || rest[0][0] == '-' {
			return p, errs.Errorf(errs.EINVALID, "%q is not start, fail, log or an exit status", truncate(rest[0]))
		}
		if n < 0 || n > 255 {
			return p, errs.Errorf(errs.EINVALID, "exit status %d is out of range 0-255", n)
		}
		p.Kind, p.ExitStatus = KindExit, n
	}
	return p, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && strings.Count(s, "-") == 4
}

// validKey accepts what a ping key may look like: URL-safe characters.
func validKey(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

func validSlug(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s[0] != '-' && s[0] != '_'
}

// ValidRunID reports whether rid can be a run id: 1 to 128 printable
// ASCII characters (Healthchecks.io clients send UUIDs).
func ValidRunID(rid string) bool {
	if rid == "" || len(rid) > 128 {
		return false
	}
	for i := 0; i < len(rid); i++ {
		if rid[i] <= ' ' || rid[i] > '~' {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
