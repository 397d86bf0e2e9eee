package webcore

import (
	"strings"

	"github.com/tocsin/tocsin/internal/catalog"
)

// MaxQuery bounds the directory's search text, in bytes.
const MaxQuery = 200

// Matches reports whether every word of q appears in one of words,
// ignoring case; an empty q matches everything. The directory's search
// (the page and the API) filters with it.
func Matches(q string, words []string) bool {
	hay := strings.ToLower(strings.Join(words, "\x00"))
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// ServiceWords are what the directory's search looks at in a service
// besides who is on call: its id, name, description, runbook, tags,
// contacts and owners (a team with its members).
func ServiceWords(svc catalog.Service) []string {
	words := []string{svc.ID, svc.Name, svc.Description, svc.Runbook}
	words = append(words, svc.Tags...)
	words = append(words, svc.Contacts...)
	for _, o := range svc.Owners {
		words = append(words, o.ID, o.Name)
		for _, m := range o.Members {
			words = append(words, m.ID, m.Name)
		}
	}
	return words
}
