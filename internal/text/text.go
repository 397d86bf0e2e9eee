// Package text holds the small wording helpers every package may use to
// write messages for people. It imports nothing of Tocsin, so no import of
// it can point against the flow.
package text

import "strconv"

// Plural writes a count with its noun: "1 day", "0 days", "3 probe mails".
// The plural is the noun plus "s", which every noun Tocsin counts takes.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
