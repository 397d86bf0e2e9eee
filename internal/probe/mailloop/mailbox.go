package mailloop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// HeaderName is the header that carries a probe mail's tag:
// "<monitor id> <token>".
const HeaderName = "X-Tocsin-Probe"

// maxScan bounds how many candidate messages one look at a folder reads
// (the newest ones), so a mailbox with thousands of messages costs the
// same as a small one.
const maxScan = 500

// found is a message a scan saw.
type found struct {
	token     string // probe token ("" in receive mode)
	folder    string
	delivered time.Time // from the topmost Received: header; zero if none
	from      string
	subject   string
	ref       uint32 // IMAP UID or POP3 message number
}

// session is one open connection to the mailbox side.
type session interface {
	// probes lists the monitor's probe mails in the mailbox (and junk
	// folders).
	probes(ctx context.Context) ([]found, error)
	// recent lists up to maxScan of the newest messages delivered since
	// since, with From and Subject, for the receive mode.
	recent(ctx context.Context, since time.Time) ([]found, error)
	// remove deletes exactly the given messages.
	remove(ctx context.Context, fs []found) error
	// done ends the session, committing removals.
	done() error
	// reusable tells whether later scans in the same session see new mail.
	reusable() bool
}

// parseHeader reads header fields as they come from a FETCH or TOP.
func parseHeader(raw []byte) textproto.MIMEHeader {
	r := textproto.NewReader(bufio.NewReader(headerBlock(raw)))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return textproto.MIMEHeader{}
	}
	return h
}

// headerBlock makes sure raw ends with the blank line that ends a header.
func headerBlock(raw []byte) *bytes.Reader {
	if !bytes.HasSuffix(raw, []byte("\r\n\r\n")) && !bytes.HasSuffix(raw, []byte("\n\n")) {
		raw = append(bytes.TrimRight(raw, "\r\n"), "\r\n\r\n"...)
	}
	return bytes.NewReader(raw)
}

// receivedDate is the date of the topmost Received: header, the one the
// final receiving server added.
func receivedDate(h textproto.MIMEHeader) time.Time {
	for _, v := range h.Values("Received") {
		i := strings.LastIndexByte(v, ';')
		if i < 0 {
			continue
		}
		if t, err := mail.ParseDate(strings.TrimSpace(v[i+1:])); err == nil {
			return t.UTC()
		}
		return time.Time{}
	}
	return time.Time{}
}

var wordDecoder = &mime.WordDecoder{}

func decodeHeader(v string) string {
	if s, err := wordDecoder.DecodeHeader(v); err == nil {
		return s
	}
	return v
}

// tokenOf returns the token of a probe header value that belongs to
// monitorID, "" when it is someone else's (a substring search also matches
// "other-web 123" for "web").
func tokenOf(value, monitorID string) string {
	f := strings.Fields(value)
	if len(f) != 2 || f[0] != monitorID || !validToken(f[1]) {
		return ""
	}
	return f[1]
}

// imapSession is a mailbox over IMAP.
type imapSession struct {
	s         *mailx.IMAP
	monitorID string
	mailbox   string
	junk      []string
	canPurge  bool // UID EXPUNGE (UIDPLUS or IMAP4rev2)
	readOnly  bool
}

func (p *Prober) openIMAP(ctx context.Context) (session, error) {
	s, err := mailx.DialIMAP(ctx, p.dial, p.boxServer, nil)
	if err != nil {
		return nil, err
	}
	caps := s.Client.Caps()
	return &imapSession{s: s, monitorID: p.id, mailbox: p.mailbox, junk: p.junk,
		canPurge: caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)}, nil
}

func (s *imapSession) reusable() bool { return true }

func (s *imapSession) done() error {
	s.s.Close()
	return nil
}

func (s *imapSession) selectFolder(name string) error {
	_, err := s.s.Client.Select(name, &imap.SelectOptions{ReadOnly: s.readOnly}).Wait()
	return err
}

func (s *imapSession) probes(ctx context.Context) ([]found, error) {
	var out []found
	for i, folder := range append([]string{s.mailbox}, s.junk...) {
		if folder == s.mailbox && i > 0 {
			continue
		}
		if err := s.selectFolder(folder); err != nil {
			var ie *imap.Error
			if i > 0 && errors.As(err, &ie) {
				continue // no such junk folder here
			}
			return nil, fmt.Errorf("select %s: %w", folder, err)
		}
		// Mails flagged \Deleted are gone as far as the probe is concerned
		// (a server without UID EXPUNGE keeps them until its next expunge).
		crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: HeaderName, Value: s.monitorID + " "}},
			NotFlag: []imap.Flag{imap.FlagDeleted}}
		fs, err := s.fetch(folder, crit, []string{HeaderName, "Received"})
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.token != "" {
				out = append(out, f)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *imapSession) recent(_ context.Context, since time.Time) ([]found, error) {
	if err := s.selectFolder(s.mailbox); err != nil {
		return nil, fmt.Errorf("select %s: %w", s.mailbox, err)
	}
	// SINCE compares dates only; the caller compares the exact times.
	return s.fetch(s.mailbox, &imap.SearchCriteria{Since: since.AddDate(0, 0, -1), NotFlag: []imap.Flag{imap.FlagDeleted}}, []string{"From", "Subject", "Received", "Date"})
}

// fetch searches a selected folder and reads the named header fields of the
// newest maxScan matches.
func (s *imapSession) fetch(folder string, crit *imap.SearchCriteria, fields []string) ([]found, error) {
	data, err := s.s.Client.UIDSearch(crit, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", folder, err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	if len(uids) > maxScan {
		uids = uids[len(uids)-maxScan:]
	}
	if len(uids) == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: fields, Peek: true}
	cmd := s.s.Client.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}})
	msgs, err := cmd.Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch from %s: %w", folder, err)
	}
	out := make([]found, 0, len(msgs))
	for _, m := range msgs {
		h := parseHeader(m.FindBodySection(section))
		f := found{folder: folder, ref: uint32(m.UID), delivered: receivedDate(h),
			from: decodeHeader(h.Get("From")), subject: decodeHeader(h.Get("Subject"))}
		if f.delivered.IsZero() {
			f.delivered = m.InternalDate.UTC()
		}
		if v := h.Get(HeaderName); v != "" {
			f.token = tokenOf(v, s.monitorID)
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *imapSession) remove(_ context.Context, fs []found) error {
	byFolder := map[string][]imap.UID{}
	var order []string
	for _, f := range fs {
		if _, ok := byFolder[f.folder]; !ok {
			order = append(order, f.folder)
		}
		byFolder[f.folder] = append(byFolder[f.folder], imap.UID(f.ref))
	}
	for _, folder := range order {
		if err := s.selectFolder(folder); err != nil {
			return fmt.Errorf("select %s: %w", folder, err)
		}
		set := imap.UIDSetNum(byFolder[folder]...)
		if err := s.s.Client.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("flag probe mails in %s: %w", folder, err)
		}
		// A plain EXPUNGE would also remove messages someone else flagged
		// \Deleted; only UID EXPUNGE touches exactly ours. Without it the
		// mails stay flagged for the server's or the user's next expunge.
		if s.canPurge {
			if err := s.s.Client.UIDExpunge(set).Close(); err != nil {
				return fmt.Errorf("expunge probe mails in %s: %w", folder, err)
			}
		}
	}
	return nil
}

// pop3Session is a mailbox over POP3. POP3 shows a snapshot of the maildrop
// per session and deletes at QUIT, so each look is a session of its own.
type pop3Session struct {
	c         *mailx.POP3
	monitorID string
	dele      int
}

func (p *Prober) openPOP3(ctx context.Context) (session, error) {
	c, err := mailx.DialPOP3(ctx, p.dial, p.boxServer, nil)
	if err != nil {
		return nil, err
	}
	return &pop3Session{c: c, monitorID: p.id}, nil
}

func (s *pop3Session) reusable() bool { return false }

func (s *pop3Session) done() error {
	if err := s.c.Quit(); err != nil && s.dele > 0 {
		return fmt.Errorf("QUIT (deleting %d probe mails): %w", s.dele, err)
	}
	return nil
}

// scan reads the headers of the newest maxScan messages.
func (s *pop3Session) scan(ctx context.Context) ([]found, error) {
	n, _, err := s.c.Stat()
	if err != nil {
		return nil, err
	}
	var out []found
	for i := n; i >= 1 && i > n-maxScan; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lines, err := s.c.Top(i, 400)
		if err != nil {
			var pe *mailx.POP3Error
			if errors.As(err, &pe) {
				continue // deleted meanwhile, or TOP refused for this one
			}
			return nil, err
		}
		h := parseHeader([]byte(strings.Join(lines, "\r\n")))
		f := found{folder: "INBOX", ref: uint32(i), delivered: receivedDate(h),
			from: decodeHeader(h.Get("From")), subject: decodeHeader(h.Get("Subject"))}
		if f.delivered.IsZero() {
			if d, err := mail.ParseDate(h.Get("Date")); err == nil {
				f.delivered = d.UTC()
			}
		}
		if v := h.Get(HeaderName); v != "" {
			f.token = tokenOf(v, s.monitorID)
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *pop3Session) probes(ctx context.Context) ([]found, error) {
	all, err := s.scan(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(f found) bool { return f.token == "" }), nil
}

func (s *pop3Session) recent(ctx context.Context, _ time.Time) ([]found, error) {
	return s.scan(ctx)
}

func (s *pop3Session) remove(_ context.Context, fs []found) error {
	for _, f := range fs {
		if err := s.c.Dele(int(f.ref)); err != nil {
			return err
		}
		s.dele++
	}
	return nil
}
