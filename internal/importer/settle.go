package importer

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// maxRounds bounds Settle: each round drops what the one before left
// dangling, and references are cleaned at once, so two rounds suffice.
const maxRounds = 4

var (
	reHead   = regexp.MustCompile(`^(channels|services|monitors|heartbeats|maintenance)\[(\d+)\]`)
	reEnvVar = regexp.MustCompile(`environment variable (\w+) is not set`)
)

// Settle renders f and checks the file with validate (config.Parse with
// the kinds Tocsin has). An entry Tocsin refuses is dropped, with a note
// naming the source item and the error, and what referred to it forgets
// it; then the file is checked again. An entry whose only trouble may be
// an environment variable that is not set here is kept, and the variable
// is noted: the file validates where it is set. The file is returned
// once it validates, so what is written is always a file Tocsin reads.
func Settle(f *Fragment, notes *Notes, validate func([]byte) error) ([]byte, error) {
	envNoted := map[string]bool{}
	for round := 0; ; round++ {
		doc, err := Write(f)
		if err != nil {
			return nil, err
		}
		verr := validate(doc)
		if verr == nil {
			return doc, nil
		}
		var errs config.Errors
		if !errors.As(verr, &errs) || round == maxRounds {
			return nil, fmt.Errorf("the imported configuration does not validate: %w", verr)
		}
		envItems := map[string]bool{}
		for _, e := range errs {
			m := reEnvVar.FindStringSubmatch(e.Message)
			if m == nil {
				continue
			}
			if h := reHead.FindString(e.Path); h != "" {
				envItems[h] = true
			}
			if !envNoted[m[1]] {
				envNoted[m[1]] = true
				notes.Add("${"+m[1]+"}", "kept as a reference: set the environment variable %s where Tocsin runs", m[1])
			}
		}
		drop := map[string]map[int]string{}
		for _, e := range errs {
			m := reHead.FindStringSubmatch(e.Path)
			if m == nil || envItems[m[0]] {
				if m == nil && !reEnvVar.MatchString(e.Message) {
					return nil, fmt.Errorf("the imported configuration does not validate: %w", verr)
				}
				continue
			}
			i, _ := strconv.Atoi(m[2])
			if drop[m[1]] == nil {
				drop[m[1]] = map[int]string{}
			}
			if _, ok := drop[m[1]][i]; !ok {
				drop[m[1]][i] = strings.TrimPrefix(strings.TrimPrefix(e.Path, m[0]), ".") + ": " + e.Message
			}
		}
		if len(drop) == 0 {
			// Only unset environment variables: the file is right.
			return doc, nil
		}
		f.drop(drop, notes)
	}
}

// drop removes the entries named by section and index, notes why, and
// removes the references to them.
func (f *Fragment) drop(drop map[string]map[int]string, notes *Notes) {
	note := func(comment, id, why string) {
		what := strings.SplitN(comment, "\n", 2)[0]
		if what == "" {
			what = id
		}
		notes.Add(what, "not mapped: Tocsin refuses it as %q: %s", id, strings.TrimPrefix(why, ": "))
	}
	gone := map[string]bool{}
	f.Channels = dropFrom(f.Channels, drop["channels"], func(c Channel, why string) { gone[c.ID] = true; note(c.Comment, c.ID, why) })
	f.Services = dropFrom(f.Services, drop["services"], func(s Service, why string) { gone[s.ID] = true; note(s.Comment, s.ID, why) })
	f.Monitors = dropFrom(f.Monitors, drop["monitors"], func(m Monitor, why string) { gone[m.ID] = true; note(m.Comment, m.ID, why) })
	f.Heartbeats = dropFrom(f.Heartbeats, drop["heartbeats"], func(h Heartbeat, why string) { gone[h.ID] = true; note(h.Comment, h.ID, why) })
	f.Maintenance = dropFrom(f.Maintenance, drop["maintenance"], func(w Maintenance, why string) { note(w.Comment, w.ID, why) })
	keep := func(ids []string) []string {
		return slices.DeleteFunc(ids, func(id string) bool { return gone[id] })
	}
	for i := range f.Services {
		f.Services[i].Channels = keep(f.Services[i].Channels)
	}
	for i := range f.Monitors {
		m := &f.Monitors[i]
		m.Channels = keep(m.Channels)
		if gone[m.Service] {
			m.Service = ""
		}
	}
	for i := range f.Heartbeats {
		h := &f.Heartbeats[i]
		h.Channels = keep(h.Channels)
		if gone[h.Service] {
			h.Service = ""
		}
	}
	for i := range f.Maintenance {
		f.Maintenance[i].Match.Monitors = keep(f.Maintenance[i].Match.Monitors)
		f.Maintenance[i].Match.Services = keep(f.Maintenance[i].Match.Services)
	}
	f.Maintenance = slices.DeleteFunc(f.Maintenance, func(w Maintenance) bool {
		if len(w.Match.Monitors) == 0 && len(w.Match.Services) == 0 {
			notes.Add(strings.SplitN(w.Comment, "\n", 2)[0], "not mapped: nothing it covered was imported")
			return true
		}
		return false
	})
}

func dropFrom[T any](list []T, idx map[int]string, gone func(T, string)) []T {
	if len(idx) == 0 {
		return list
	}
	out := list[:0:0]
	for i, v := range list {
		if why, ok := idx[i]; ok {
			gone(v, why)
			continue
		}
		out = append(out, v)
	}
	return out
}
