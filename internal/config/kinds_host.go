package config

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// This file holds the blocks of the host and command monitor kinds: ssh, sftp,
// icmp and command.

// SSHConnection is how a probe reaches and logs in to an SSH server. The
// ssh and sftp blocks both hold these keys directly.
type SSHConnection struct {
	// Address is host or host:port; the port defaults to 22.
	Address string `yaml:"address"`
	// User to log in as. Without any credential the probe stops after the
	// key exchange (a reachability check).
	User string `yaml:"user"`
	// Password, or PasswordFile to read it from.
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// PrivateKey is a PEM private key (usually "${SSH_KEY}"); PrivateKeyFile
	// reads it from a file.
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyFile string `yaml:"private_key_file"`
	// Passphrase of an encrypted private key, or PassphraseFile.
	Passphrase     string `yaml:"passphrase"`
	PassphraseFile string `yaml:"passphrase_file"`
	// Agent authenticates with the keys of the ssh-agent at $SSH_AUTH_SOCK.
	Agent bool `yaml:"agent"`
	// HostKey is the expected host key fingerprint, "SHA256:…" as printed
	// by ssh-keygen -lf. Empty accepts any key and reports its fingerprint.
	HostKey string `yaml:"host_key"`
	// HostKeyAlgorithms restricts and orders the host key types asked
	// for. Default: ssh-ed25519 first, as OpenSSH does.
	HostKeyAlgorithms []string `yaml:"host_key_algorithms"`
}

// SSHCheck is the `ssh:` block: banner, host key, login and an optional
// command.
type SSHCheck struct {
	SSHConnection `yaml:",inline"`
	// Command run after login; its exit status and output are checked.
	Command string    `yaml:"command"`
	Expect  SSHExpect `yaml:"expect"`
}

// SSHExpect is what a healthy SSH server shows.
type SSHExpect struct {
	// BannerContains must appear in the server's version line.
	BannerContains string `yaml:"banner_contains"`
	// ExitStatus of the command; default 0.
	ExitStatus *int `yaml:"exit_status"`
	// OutputContains / OutputRegex must be found in the command's output
	// (stdout and stderr, first 64 KiB).
	OutputContains string `yaml:"output_contains"`
	OutputRegex    string `yaml:"output_regex"`
}

// SFTPCheck is the `sftp:` block: files on an SFTP server must exist, be
// fresh and be of a plausible size.
type SFTPCheck struct {
	SSHConnection `yaml:",inline"`
	// Path is a file, a directory (its entries are checked) or a glob
	// whose pattern is in the last element ("/exports/*.xml").
	Path string `yaml:"path"`
	// MaxAge: the newest matching file older than this is CRITICAL;
	// WarnAge is a WARNING. 0 is off.
	MaxAge  Duration `yaml:"max_age"`
	WarnAge Duration `yaml:"warn_age"`
	// MinCount matching files are required (default 1); MaxCount, when
	// set, is the most allowed.
	MinCount int `yaml:"min_count"`
	MaxCount int `yaml:"max_count"`
	// MinSize / MaxSize bound the newest file's size in bytes; 0 is off.
	MinSize int64 `yaml:"min_size"`
	MaxSize int64 `yaml:"max_size"`
	// ContentContains / ContentRegex must be found in the first 64 KiB of
	// the newest file.
	ContentContains string `yaml:"content_contains"`
	ContentRegex    string `yaml:"content_regex"`
}

// Defaults of the host and command kinds.
const (
	DefaultSSHPort = "22"
)

// DefaultHostKeyAlgorithms is the host key preference when none is set:
// OpenSSH's order, so the key an `ssh-keyscan` or a first login recorded is
// the one asked for.
var DefaultHostKeyAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// SSHAddress returns address with the default port added when it has none.
func SSHAddress(address string) string {
	if _, _, err := net.SplitHostPort(address); err == nil {
		return address
	}
	return net.JoinHostPort(strings.Trim(address, "[]"), DefaultSSHPort)
}

// HasCredentials reports whether any way to log in is configured.
func (c *SSHConnection) HasCredentials() bool {
	return c.Password != "" || c.PrivateKey != "" || c.Agent
}

// Validate reports problems in the connection keys. Secrets are never
// quoted in the messages.
func (c *SSHConnection) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Address == "" {
		add("address", "address is required (host or host:port)")
	} else if msg := AddressProblem(SSHAddress(c.Address)); msg != "" {
		add("address", "%s", msg)
	}
	if c.HasCredentials() && c.User == "" {
		add("user", "user is required to log in")
	}
	if c.PrivateKey != "" {
		if _, err := ParseSSHPrivateKey(c.PrivateKey, c.Passphrase); err != nil {
			field := "private_key"
			if c.PrivateKeyFile != "" {
				field = "private_key_file"
			}
			add(field, "%v", err)
		}
	} else if c.Passphrase != "" {
		add("passphrase", "passphrase is set but there is no private_key or private_key_file")
	}
	if c.HostKey != "" && !reFingerprint.MatchString(c.HostKey) {
		add("host_key", "host key %q is not a SHA256 fingerprint; write it as ssh-keygen -lf prints it, such as SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", truncate(c.HostKey, 60))
	}
	for i, a := range c.HostKeyAlgorithms {
		if !knownHostKeyAlgorithm(a) {
			add(fmt.Sprintf("host_key_algorithms[%d]", i), "unknown host key algorithm %q (known: %s)", a, strings.Join(hostKeyAlgorithms(), ", "))
		}
	}
	return errs
}

// reFingerprint is an OpenSSH SHA256 fingerprint: 43 base64 characters.
var reFingerprint = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}=?$`)

func hostKeyAlgorithms() []string {
	return []string{
		ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA,
	}
}

func knownHostKeyAlgorithm(a string) bool { return slices.Contains(hostKeyAlgorithms(), a) }

// ParseSSHPrivateKey parses a PEM private key, decrypting it with
// passphrase when it is encrypted. Its errors never quote the key.
func ParseSSHPrivateKey(pemKey, passphrase string) (ssh.Signer, error) {
	var s ssh.Signer
	var err error
	if passphrase != "" {
		s, err = ssh.ParsePrivateKeyWithPassphrase([]byte(pemKey), []byte(passphrase))
	} else {
		s, err = ssh.ParsePrivateKey([]byte(pemKey))
	}
	if err == nil {
		return s, nil
	}
	if _, missing := err.(*ssh.PassphraseMissingError); missing {
		return nil, fmt.Errorf("the private key is encrypted; set passphrase or passphrase_file")
	}
	if passphrase != "" && strings.Contains(err.Error(), "decryption password incorrect") {
		return nil, fmt.Errorf("the passphrase does not decrypt the private key")
	}
	return nil, fmt.Errorf("cannot parse the private key: %s", strings.TrimPrefix(err.Error(), "ssh: "))
}

// maxCommandBytes bounds the remote command line.
const maxCommandBytes = 4096

// Validate reports problems in the ssh block.
func (c *SSHCheck) Validate() []FieldError {
	errs := c.SSHConnection.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	e := &c.Expect
	if c.Command != "" && !c.HasCredentials() {
		add("command", "a command needs a login: set password, private_key(_file) or agent")
	}
	if len(c.Command) > maxCommandBytes {
		add("command", "longer than %d bytes", maxCommandBytes)
	}
	if c.Command == "" && (e.ExitStatus != nil || e.OutputContains != "" || e.OutputRegex != "") {
		add("expect", "expect.exit_status, output_contains and output_regex need a command")
	}
	if e.ExitStatus != nil && (*e.ExitStatus < 0 || *e.ExitStatus > 255) {
		add("expect.exit_status", "exit status %d is out of range 0-255", *e.ExitStatus)
	}
	if len(e.BannerContains) > 255 {
		add("expect.banner_contains", "longer than an SSH version line (255 bytes)")
	}
	if len(e.OutputContains) > MaxExpectBytes {
		add("expect.output_contains", "longer than %d bytes", MaxExpectBytes)
	}
	if e.OutputRegex != "" {
		if _, err := regexp.Compile(e.OutputRegex); err != nil {
			add("expect.output_regex", "invalid regular expression: %v", err)
		}
	}
	return errs
}

// Validate reports problems in the sftp block.
func (c *SFTPCheck) Validate() []FieldError {
	errs := c.SSHConnection.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !c.HasCredentials() {
		add("", "sftp needs a login: set user and password, private_key(_file) or agent")
	}
	switch {
	case c.Path == "":
		add("path", "path is required (a file, a directory or a glob such as /exports/*.xml)")
	default:
		dir, pattern := path.Split(c.Path)
		if HasGlobMeta(dir) {
			add("path", "only the last element of %q may be a pattern; the folder must be written out", c.Path)
		} else if _, err := path.Match(pattern, ""); err != nil {
			add("path", "invalid pattern %q: %v", pattern, err)
		}
	}
	if c.MaxAge < 0 {
		add("max_age", "must not be negative")
	}
	if c.WarnAge < 0 {
		add("warn_age", "must not be negative")
	}
	if c.MaxAge > 0 && c.WarnAge > 0 && c.WarnAge > c.MaxAge {
		add("warn_age", "warn_age %s is longer than max_age %s; a warning must come first", c.WarnAge, c.MaxAge)
	}
	if c.MinCount < 0 {
		add("min_count", "must not be negative")
	}
	if c.MaxCount < 0 {
		add("max_count", "must not be negative")
	}
	if c.MaxCount > 0 && c.MaxCount < c.MinCount {
		add("max_count", "max_count %d is less than min_count %d", c.MaxCount, c.MinCount)
	}
	if c.MinSize < 0 {
		add("min_size", "must not be negative")
	}
	if c.MaxSize < 0 {
		add("max_size", "must not be negative")
	}
	if c.MaxSize > 0 && c.MaxSize < c.MinSize {
		add("max_size", "max_size %d is less than min_size %d", c.MaxSize, c.MinSize)
	}
	if len(c.ContentContains) > MaxExpectBytes {
		add("content_contains", "longer than %d bytes", MaxExpectBytes)
	}
	if c.ContentRegex != "" {
		if _, err := regexp.Compile(c.ContentRegex); err != nil {
			add("content_regex", "invalid regular expression: %v", err)
		}
	}
	return errs
}

// HasGlobMeta reports whether s holds a path.Match pattern character.
func HasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// hostSecrets reads the *_file secrets of the host and command blocks.
func (l *loader) hostSecrets(m *Monitor, p string) {
	conn := func(c *SSHConnection, block string) {
		bp := p + "." + block
		l.readSecret(bp, "password_file", &c.Password, &c.PasswordFile)
		l.readSecret(bp, "private_key_file", &c.PrivateKey, &c.PrivateKeyFile)
		l.readSecret(bp, "passphrase_file", &c.Passphrase, &c.PassphraseFile)
	}
	if m.SSH != nil {
		conn(&m.SSH.SSHConnection, "ssh")
	}
	if m.SFTP != nil {
		conn(&m.SFTP.SSHConnection, "sftp")
	}
}

// sftpDefaults fills in the defaults of an sftp block.
func sftpDefaults(l *loader, m *Monitor, p string) {
	setInt(&m.SFTP.MinCount, 1, l.ix.has(p+".sftp.min_count"))
}
