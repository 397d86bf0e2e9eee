// Package agent is both sides of remote agents (docs/agents.md): the
// server side authenticates agents, hands each its assignment, takes its
// results and notices when one falls silent; the agent side (Run) fetches
// the assignment, runs the probes, keeps their results in an on-disk
// buffer and pushes them to the server in order.
package agent

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// tokenPrefix marks agent tokens so they are told apart from API tokens.
const tokenPrefix = "tca_"

// NewToken returns a new random agent token.
func NewToken() string {
	return tokenPrefix + rand.Text()
}

// HashToken is the SHA-256 of a token, as the store keeps it.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// fileTokenHash reads the content of an agent's token_file: 64 hex digits
// are the token's SHA-256, anything else is the token itself.
func fileTokenHash(content string) []byte {
	s := strings.TrimSpace(content)
	if len(s) == 64 {
		if b, err := hex.DecodeString(strings.ToLower(s)); err == nil {
			return b
		}
	}
	return HashToken(s)
}
