package mailping

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
)

// Recipient is the heartbeat a mail address names: {uuid}@{domain}, or
// {slug}+{ping_key}@{domain}.
type Recipient struct {
	UUID    string
	Slug    string
	PingKey string
}

var (
	reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reSlug = regexp.MustCompile(`^[a-z0-9_-]{1,100}$`)
	reKey  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
)

// ParseRecipient reads the heartbeat out of an envelope recipient. The
// domain must be domain (any case; an IP address domain may also be
// written as the literal [ip]). UUIDs and slugs are case-insensitive, as
// mail systems do not always keep the case of local parts; ping keys are
// kept as written. It returns an *errs.Error with EINVALID saying what is
// wrong.
func ParseRecipient(addr, domain string) (Recipient, error) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Recipient{}, errs.Errorf(errs.EINVALID, "%q is not a mail address", addr)
	}
	local, dom := addr[:at], addr[at+1:]
	if !sameDomain(dom, domain) {
		return Recipient{}, errs.Errorf(errs.EINVALID, "this server takes heartbeat mail for @%s only", domain)
	}
	if local == "" || len(local) > 64 {
		return Recipient{}, errs.Errorf(errs.EINVALID, "write the heartbeat's UUID, or its slug+ping key, before the @")
	}
	if slug, key, ok := strings.Cut(local, "+"); ok {
		slug = strings.ToLower(slug)
		if !reSlug.MatchString(slug) || !reKey.MatchString(key) {
			return Recipient{}, errs.Errorf(errs.EINVALID, "%q is not slug+ping_key (a slug has letters, digits, '-' and '_'; so has a ping key)", local)
		}
		return Recipient{Slug: slug, PingKey: key}, nil
	}
	uuid := strings.ToLower(local)
	if !reUUID.MatchString(uuid) {
		return Recipient{}, errs.Errorf(errs.EINVALID, "%q is not a heartbeat UUID, nor slug+ping_key", local)
	}
	return Recipient{UUID: uuid}, nil
}

func sameDomain(got, want string) bool {
	if strings.EqualFold(got, want) {
		return true
	}
	if ip, err := netip.ParseAddr(want); err == nil {
		lit := strings.TrimPrefix(strings.TrimPrefix(got, "["), "IPv6:")
		if lit, ok := strings.CutSuffix(lit, "]"); ok && len(got) > 2 && got[0] == '[' {
			other, err := netip.ParseAddr(lit)
			return err == nil && other == ip
		}
	}
	return false
}

// String writes r back as the local part of its address.
func (r Recipient) String() string {
	if r.UUID != "" {
		return r.UUID
	}
	return r.Slug + "+" + r.PingKey
}
