package tlsx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/tocsin/tocsin/internal/probe"
)

// STARTTLS dialogues are tiny; these bounds keep a misbehaving server (one
// that sends endless lines or never ends a line) from holding memory. Time
// is bounded by the connection's deadline, which the caller sets.
const (
	maxLineLen   = 4096 // bytes per line, including CRLF
	maxReplyLine = 100  // lines in one reply (greeting, EHLO answer)
)

// StartTLS protocols.
const (
	StartTLSSMTP = "smtp"
	StartTLSIMAP = "imap"
	StartTLSPOP3 = "pop3"
)

// StartTLS runs the plain-text dialogue that asks the server on conn to
// switch to TLS: SMTP (EHLO, STARTTLS), IMAP (a001 STARTTLS) or POP3 (STLS).
// On success the next bytes on conn are the TLS handshake. The caller sets a
// deadline on conn; every read is bounded in size.
func StartTLS(conn net.Conn, protocol string) error {
	br := bufio.NewReaderSize(conn, maxLineLen)
	var err error
	switch protocol {
	case StartTLSSMTP:
		err = startSMTP(conn, br)
	case StartTLSIMAP:
		err = startIMAP(conn, br)
	case StartTLSPOP3:
		err = startPOP3(conn, br)
	default:
		return fmt.Errorf("unknown starttls protocol %q (expected smtp, imap or pop3)", protocol)
	}
	if err != nil {
		return err
	}
	// Anything already buffered would be read as plain text ahead of the
	// handshake: a server (or a man in the middle) injecting data. Refuse.
	if br.Buffered() > 0 {
		return fmt.Errorf("%s server sent unexpected data after agreeing to STARTTLS", protocol)
	}
	return nil
}

// readLine reads one line without its line ending.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("server sent a line longer than %d bytes", maxLineLen)
	}
	if errors.Is(err, io.EOF) {
		return "", fmt.Errorf("server closed the connection")
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// smtpReply reads one SMTP reply (possibly multi-line: "250-..." lines then
// "250 ...") and returns its code and the text of each line.
func smtpReply(br *bufio.Reader) (string, []string, error) {
	var lines []string
	for range maxReplyLine {
		line, err := readLine(br)
		if err != nil {
			return "", nil, err
		}
		if len(line) < 3 {
			return "", nil, fmt.Errorf("malformed SMTP reply %q", probe.Clip(line, 80))
		}
		code := line[:3]
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		lines = append(lines, text)
		if len(line) == 3 || line[3] == ' ' {
			return code, lines, nil
		}
		if line[3] != '-' {
			return "", nil, fmt.Errorf("malformed SMTP reply %q", probe.Clip(line, 80))
		}
	}
	return "", nil, fmt.Errorf("SMTP reply longer than %d lines", maxReplyLine)
}

func startSMTP(w io.Writer, br *bufio.Reader) error {
	code, lines, err := smtpReply(br)
	if err != nil {
		return fmt.Errorf("reading SMTP greeting: %w", err)
	}
	if code != "220" {
		return fmt.Errorf("SMTP greeting %s %s, expected 220", code, probe.Clip(strings.Join(lines, " "), 80))
	}
	if _, err := io.WriteString(w, "EHLO tocsin.localhost\r\n"); err != nil {
		return fmt.Errorf("sending EHLO: %w", err)
	}
	code, lines, err = smtpReply(br)
	if err != nil {
		return fmt.Errorf("reading EHLO reply: %w", err)
	}
	if code != "250" {
		return fmt.Errorf("EHLO answered %s %s, expected 250", code, probe.Clip(strings.Join(lines, " "), 80))
	}
	offered := false
	for _, l := range lines[1:] { // the first line is the server's name
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return fmt.Errorf("SMTP server does not offer STARTTLS")
	}
	if _, err := io.WriteString(w, "STARTTLS\r\n"); err != nil {
		return fmt.Errorf("sending STARTTLS: %w", err)
	}
	code, lines, err = smtpReply(br)
	if err != nil {
		return fmt.Errorf("reading STARTTLS reply: %w", err)
	}
	if code != "220" {
		return fmt.Errorf("STARTTLS answered %s %s, expected 220", code, probe.Clip(strings.Join(lines, " "), 80))
	}
	return nil
}

func startIMAP(w io.Writer, br *bufio.Reader) error {
	greet, err := readLine(br)
	if err != nil {
		return fmt.Errorf("reading IMAP greeting: %w", err)
	}
	if !strings.HasPrefix(strings.ToUpper(greet), "* OK") {
		return fmt.Errorf("IMAP greeting %q, expected * OK", probe.Clip(greet, 80))
	}
	if _, err := io.WriteString(w, "a001 STARTTLS\r\n"); err != nil {
		return fmt.Errorf("sending STARTTLS: %w", err)
	}
	for range maxReplyLine {
		line, err := readLine(br)
		if err != nil {
			return fmt.Errorf("reading STARTTLS reply: %w", err)
		}
		if strings.HasPrefix(line, "* ") {
			continue // untagged data, e.g. a CAPABILITY line
		}
		tag, rest, _ := strings.Cut(line, " ")
		if tag != "a001" {
			return fmt.Errorf("unexpected IMAP line %q", probe.Clip(line, 80))
		}
		if strings.HasPrefix(strings.ToUpper(rest), "OK") {
			return nil
		}
		return fmt.Errorf("STARTTLS refused: %s", probe.Clip(rest, 80))
	}
	return fmt.Errorf("IMAP reply longer than %d lines", maxReplyLine)
}

func startPOP3(w io.Writer, br *bufio.Reader) error {
	greet, err := readLine(br)
	if err != nil {
		return fmt.Errorf("reading POP3 greeting: %w", err)
	}
	if !strings.HasPrefix(greet, "+OK") {
		return fmt.Errorf("POP3 greeting %q, expected +OK", probe.Clip(greet, 80))
	}
	if _, err := io.WriteString(w, "STLS\r\n"); err != nil {
		return fmt.Errorf("sending STLS: %w", err)
	}
	line, err := readLine(br)
	if err != nil {
		return fmt.Errorf("reading STLS reply: %w", err)
	}
	if !strings.HasPrefix(line, "+OK") {
		return fmt.Errorf("STLS refused: %s", probe.Clip(line, 80))
	}
	return nil
}
