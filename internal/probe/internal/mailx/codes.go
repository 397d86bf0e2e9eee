package mailx

import (
	"strconv"
	"strings"
)

// CodeMatches reports whether an SMTP reply code is one of specs ("250" or
// "250-259"); empty specs accept def.
func CodeMatches(code int, specs []string, def ...string) bool {
	if len(specs) == 0 {
		specs = def
	}
	for _, s := range specs {
		lo, hi, ok := strings.Cut(s, "-")
		if !ok {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && code >= l && code <= h {
			return true
		}
	}
	return false
}
