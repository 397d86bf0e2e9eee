package webcore

import (
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Pagination limits of list endpoints.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// PageParams reads ?limit= and the ?before= row-id cursor.
func PageParams(r *http.Request) (store.Page, error) {
	limit, err := LimitParam(r)
	if err != nil {
		return store.Page{}, err
	}
	p := store.Page{Limit: limit}
	q := r.URL.Query()
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return p, errs.Errorf(errs.EINVALID, "before must be a cursor from a previous page's \"next\", not %q", v)
		}
		p.Before = n
	}
	return p, nil
}

// LimitParam reads ?limit=: 1 to 1000, default 50.
func LimitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, errs.Errorf(errs.EINVALID, "limit must be a whole number from 1 to %d, not %q", maxLimit, v)
	}
	return n, nil
}

// NextCursor returns the cursor of the page after one that ended with
// lastID, or nil when the page was not full (so no more items exist).
func NextCursor(got, limit int, lastID int64) *string {
	if got < limit || lastID <= 0 {
		return nil
	}
	c := strconv.FormatInt(lastID, 10)
	return &c
}
