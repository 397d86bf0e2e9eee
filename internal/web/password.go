package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/tocsin/tocsin/internal/errs"
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// maxPasswordLength bounds what is hashed, so a huge form field cannot make
// a login expensive.
const maxPasswordLength = 1024

// Argon2id parameters for new hashes (RFC 9106's second recommended option,
// with less memory: 64 MiB, one pass, two lanes).
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 1
	argonThreads = 2
	argonSaltLen = 16
	argonKeyLen  = 32
)

// HashPassword hashes pw with argon2id and returns it in the PHC string
// format "$argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>" (unpadded base64).
func HashPassword(pw string) (string, error) {
	if len(pw) > maxPasswordLength {
		return "", fmt.Errorf("the password is longer than %d characters", maxPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkPassword reports whether pw matches the PHC-encoded argon2id hash.
// An unreadable hash is an error, not a mismatch, so it can be logged.
func checkPassword(hash, pw string) (bool, error) {
	if len(pw) > maxPasswordLength {
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("password hash is not in argon2id PHC format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash has unsupported version %q", parts[2])
	}
	var memory, iterations uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iterations, &threads); err != nil {
		return false, fmt.Errorf("password hash has unreadable parameters %q: %w", parts[3], err)
	}
	// Bounds keep a tampered hash from turning a login into a memory bomb.
	if memory < 8 || memory > 1<<20 || iterations < 1 || iterations > 16 || threads < 1 {
		return false, fmt.Errorf("password hash parameters %q are out of range", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false, errors.New("password hash has an unreadable key")
	}
	got := argon2.IDKey([]byte(pw), salt, iterations, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyPasswordHash returns a hash in the format HashPassword writes, with
// the same parameters, of no password at all: a login naming an unknown
// account is checked against it so that it costs what a wrong password for
// a real account costs. Random bytes stand in for the key, so making it
// costs nothing and nothing can match it except by chance.
func dummyPasswordHash() (string, error) {
	b := make([]byte, argonSaltLen+argonKeyLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(b[:argonSaltLen]), base64.RawStdEncoding.EncodeToString(b[argonSaltLen:])), nil
}

// DefaultHashConcurrency is how many password hashes may run at once when
// Options.HashConcurrency is 0: half the usable CPUs, at least 2 and at
// most 4. Each hash takes 64 MiB and two threads for its whole run, so a
// flood of logins costs at most 4 × 64 MiB and leaves CPU for probes and
// pings; more slots would not make logins faster on a busy machine, only
// bigger.
func DefaultHashConcurrency() int {
	return min(4, max(2, runtime.GOMAXPROCS(0)/2))
}

// DefaultHashWait is how long a login or setup waits for a free hashing
// slot when Options.HashWait is 0 before it is answered 429.
const DefaultHashWait = 2 * time.Second

// errHashBusy means every hashing slot stayed busy for the whole wait.
var errHashBusy = errs.Errorf(errs.ERATELIMIT, "the server is busy checking other passwords; try again in a few seconds")

// hashGate bounds the password hashes running at once. Hashing is the
// one deliberately expensive thing an unauthenticated request can ask
// for, so the gate, not the number of requests, decides how much memory
// and CPU logins take.
type hashGate struct {
	slots   chan struct{}
	wait    time.Duration
	running atomic.Int32
	// started, when set, is called inside a slot as a hash starts, with
	// the number of hashes running (tests count with it).
	started func(running int)
}

func newHashGate(n int, wait time.Duration, started func(int)) *hashGate {
	return &hashGate{slots: make(chan struct{}, n), wait: wait, started: started}
}

// do runs f in a hashing slot. It waits at most g.wait for one and
// returns errHashBusy when none came free, or ctx's error when the client
// went away first; f has not run then.
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return errHashBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n := g.running.Add(1)
	defer func() {
		g.running.Add(-1)
		<-g.slots
	}()
	if g.started != nil {
		g.started(int(n))
	}
	f()
	return nil
}

// hashPassword is HashPassword in a hashing slot.
func (s *Server) hashPassword(ctx context.Context, pw string) (hash string, err error) {
	if gerr := s.hashes.do(ctx, func() { hash, err = HashPassword(pw) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// verifyPassword is checkPassword in a hashing slot.
func (s *Server) verifyPassword(ctx context.Context, hash, pw string) (match bool, err error) {
	if gerr := s.hashes.do(ctx, func() { match, err = checkPassword(hash, pw) }); gerr != nil {
		return false, gerr
	}
	return match, err
}
