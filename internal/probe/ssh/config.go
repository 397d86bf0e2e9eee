package ssh

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tocsin/tocsin/internal/config"
)

// This file holds the `ssh:` block. Its connection keys are shared with
// the sftp block, which holds them directly too.

// Connection is how a probe reaches and logs in to an SSH server. The
// ssh and sftp blocks both hold these keys directly.
type Connection struct {
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

// Check is the `ssh:` block: banner, host key, login and an optional
// command.
type Check struct {
	Connection `yaml:",inline"`
	// Command run after login; its exit status and output are checked.
	Command string `yaml:"command"`
	Expect  Expect `yaml:"expect"`
}

// Expect is what a healthy SSH server shows.
type Expect struct {
	// BannerContains must appear in the server's version line.
	BannerContains string `yaml:"banner_contains"`
	// ExitStatus of the command; default 0.
	ExitStatus *int `yaml:"exit_status"`
	// OutputContains / OutputRegex must be found in the command's output
	// (stdout and stderr, first 64 KiB).
	OutputContains string `yaml:"output_contains"`
	OutputRegex    string `yaml:"output_regex"`
}

// Defaults of the ssh and sftp blocks.
const (
	DefaultPort = "22"
)

// DefaultHostKeyAlgorithms is the host key preference when none is set:
// OpenSSH's order, so the key an `ssh-keyscan` or a first login recorded is
// the one asked for.
var DefaultHostKeyAlgorithms = []string{
	gossh.KeyAlgoED25519,
	gossh.KeyAlgoECDSA256, gossh.KeyAlgoECDSA384, gossh.KeyAlgoECDSA521,
	gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256,
}

// SSHAddress returns address with the default port added when it has none.
func Address(address string) string {
	if _, _, err := net.SplitHostPort(address); err == nil {
		return address
	}
	return net.JoinHostPort(strings.Trim(address, "[]"), DefaultPort)
}

// HasCredentials reports whether any way to log in is configured.
func (c *Connection) HasCredentials() bool {
	return c.Password != "" || c.PrivateKey != "" || c.Agent
}

// Validate reports problems in the connection keys. Secrets are never
// quoted in the messages.
func (c *Connection) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Address == "" {
		add("address", "address is required (host or host:port)")
	} else if msg := config.AddressProblem(Address(c.Address)); msg != "" {
		add("address", "%s", msg)
	}
	if c.HasCredentials() && c.User == "" {
		add("user", "user is required to log in")
	}
	if c.PrivateKey != "" {
		if _, err := ParsePrivateKey(c.PrivateKey, c.Passphrase); err != nil {
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
		gossh.KeyAlgoED25519, gossh.KeyAlgoECDSA256, gossh.KeyAlgoECDSA384, gossh.KeyAlgoECDSA521,
		gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA,
	}
}

func knownHostKeyAlgorithm(a string) bool { return slices.Contains(hostKeyAlgorithms(), a) }

// ParsePrivateKey parses a PEM private key, decrypting it with
// passphrase when it is encrypted. Its errors never quote the key.
func ParsePrivateKey(pemKey, passphrase string) (gossh.Signer, error) {
	var s gossh.Signer
	var err error
	if passphrase != "" {
		s, err = gossh.ParsePrivateKeyWithPassphrase([]byte(pemKey), []byte(passphrase))
	} else {
		s, err = gossh.ParsePrivateKey([]byte(pemKey))
	}
	if err == nil {
		return s, nil
	}
	if _, missing := err.(*gossh.PassphraseMissingError); missing {
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
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	errs := c.Connection.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
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
	if len(e.OutputContains) > config.MaxExpectBytes {
		add("expect.output_contains", "longer than %d bytes", config.MaxExpectBytes)
	}
	if e.OutputRegex != "" {
		if _, err := regexp.Compile(e.OutputRegex); err != nil {
			add("expect.output_regex", "invalid regular expression: %v", err)
		}
	}
	return errs
}

// Defaults fills in what the ssh block leaves out: nothing, the prober
// picks the port and the host key algorithms.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Files reads the *_file secrets of the connection keys.
func (c *Connection) Files(f *config.Files) {
	f.Secret("password_file", &c.Password, &c.PasswordFile)
	f.Secret("private_key_file", &c.PrivateKey, &c.PrivateKeyFile)
	f.Secret("passphrase_file", &c.Passphrase, &c.PassphraseFile)
}

// truncate cuts s to n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var _ config.FileBlock = (*Check)(nil)
