package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is one problem found in a configuration file, with the place it was
// found. Line and Column are 1-based; 0 means unknown.
type Error struct {
	// File is the name of the configuration file, as given to Load or Parse.
	File string
	// Line and Column point at the offending key or value.
	Line, Column int
	// Path is where the problem is in the YAML structure, for example
	// "monitors[2].http.expect.body_regex". Empty for the whole file.
	Path string
	// ID is the id of the object at the head of Path ("web" for
	// monitors[2] when that monitor has id "web"), when it has one.
	ID string
	// Message says what is wrong, in words a user can act on.
	Message string
}

// String formats e as
//
//	tocsin.yaml:14:7: monitors[2] "web": http.expect.body_regex: invalid regular expression: ...
//
// file and position first, then where, then what.
func (e Error) String() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("config")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if where := e.where(); where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Error returns the same text as String, so an Error can be used on its own.
func (e Error) Error() string { return e.String() }

// where renders Path with the object's id after its index:
// `monitors[2] "web": http.url`.
func (e Error) where() string {
	if e.ID == "" {
		return e.Path
	}
	head, rest := splitHead(e.Path)
	if rest == "" {
		return fmt.Sprintf("%s %q", head, e.ID)
	}
	return fmt.Sprintf("%s %q: %s", head, e.ID, rest)
}

// splitHead splits "monitors[2].http.url" into "monitors[2]" and
// "http.url". A path whose head has no index is returned whole as head.
func splitHead(path string) (head, rest string) {
	end := strings.IndexByte(path, ']')
	if dot := strings.IndexByte(path, '.'); end < 0 || dot >= 0 && dot < end {
		return path, ""
	}
	head, rest = path[:end+1], path[end+1:]
	rest = strings.TrimPrefix(rest, ".")
	return head, rest
}

// Errors is every problem found in one configuration file, in file order.
// Load and Parse return it (as an error) when the file is not valid.
type Errors []Error

// Error lists every problem, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.String()
	}
	return strings.Join(lines, "\n")
}
