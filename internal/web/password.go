package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
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
