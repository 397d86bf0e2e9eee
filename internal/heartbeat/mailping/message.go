package mailping

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/tocsin/tocsin/internal/heartbeat"
)

// Keywords decide what a mail says about its job. With no keyword at all,
// every mail is a success, as a plain HTTP ping is.
type Keywords struct {
	Success []string
	Failure []string
	Start   []string
}

// Classify matches the keywords, case-insensitively, in the subject and
// the text of a mail. A failure keyword wins over a success keyword, which
// wins over a start keyword: "backup finished with errors" is a failure
// when "finished" and "error" are both configured. A mail that matches no
// keyword is a log entry: recorded, but not a signal.
func (k Keywords) Classify(subject, text string) heartbeat.Kind {
	if len(k.Success)+len(k.Failure)+len(k.Start) == 0 {
		return heartbeat.KindSuccess
	}
	hay := strings.ToLower(subject) + "\n" + strings.ToLower(text)
	switch {
	case containsAny(hay, k.Failure):
		return heartbeat.KindFail
	case containsAny(hay, k.Success):
		return heartbeat.KindSuccess
	case containsAny(hay, k.Start):
		return heartbeat.KindStart
	}
	return heartbeat.KindLog
}

func containsAny(hay string, words []string) bool {
	for _, w := range words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" && strings.Contains(hay, w) {
			return true
		}
	}
	return false
}

// Limits of the MIME walk: a message is already bounded in size, these
// bound the work on a hostile structure within it.
const (
	maxDepth = 5
	maxParts = 50
)

// readMessage returns the decoded subject and the text of a message: its
// text/plain parts, and its text/html parts with the tags removed. A
// message that does not parse is searched as it is.
func readMessage(raw []byte) (subject, text string) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", string(raw)
	}
	subject = m.Header.Get("Subject")
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	if s, err := dec.DecodeHeader(subject); err == nil {
		subject = s
	}
	var b strings.Builder
	parts := 0
	walk(&b, textproto.MIMEHeader(m.Header), m.Body, 0, &parts)
	return subject, b.String()
}

func walk(b *strings.Builder, h textproto.MIMEHeader, body io.Reader, depth int, parts *int) {
	*parts++
	if *parts > maxParts {
		return
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ct == "" {
		ct, params = "text/plain", nil
	}
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		if depth >= maxDepth || params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for *parts <= maxParts {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(b, p.Header, p, depth+1, parts)
		}
	case ct == "text/plain" || ct == "text/html":
		data, _ := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
		s := toUTF8(data, params["charset"])
		if ct == "text/html" {
			s = stripTags(s)
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
}

func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Cleaner drops what base64.NewDecoder does not skip itself (spaces
// and tabs some mailers leave at line ends).
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	k := 0
	for _, ch := range p[:n] {
		if ch != ' ' && ch != '\t' {
			p[k] = ch
			k++
		}
	}
	return k, err
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

func toUTF8(data []byte, charset string) string {
	if charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	if enc, err := htmlindex.Get(charset); err == nil {
		if out, err := enc.NewDecoder().Bytes(data); err == nil && utf8.Valid(out) {
			return string(out)
		}
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// stripTags removes HTML tags, enough for keywords in visible text not to
// be hidden by markup between them.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
