package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/tocsin/tocsin/internal/web/api"
)

// printList gets one page of a list from the API and prints it: the API's
// JSON as it is with asJSON; otherwise a table, header first, one row per
// item (row returns the item's tab-separated cells). When the page is empty
// and empty is set, it prints that instead of the table; when there is an
// older page and more is set (the list command), it says how to get it.
func printList[T any](ctx context.Context, c apiClient, env Env, path string, asJSON bool, empty, more, header string, row func(T) string) error {
	var raw []byte
	if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
		return err
	}
	if asJSON {
		_, err := env.Stdout.Write(raw)
		return err
	}
	var l api.List[T]
	if err := json.Unmarshal(raw, &l); err != nil {
		return fmt.Errorf("reading the answer of %s: %w", c.server, err)
	}
	if len(l.Data) == 0 && empty != "" {
		fmt.Fprintln(env.Stdout, empty)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range l.Data {
		fmt.Fprintln(tw, row(it))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if l.Next != nil && more != "" {
		fmt.Fprintf(env.Stdout, "older: %s --before %s\n", more, *l.Next)
	}
	return nil
}

// pageFlags are the flags every paged list command takes: --limit,
// --before and --json.
type pageFlags struct {
	limit  int
	before int64
}

// add declares the flags on fs for a list of noun ("alerts").
func (p *pageFlags) add(fs *flag.FlagSet, noun string, f *muteFlags) {
	fs.IntVar(&p.limit, "limit", 50, "how many "+noun+", newest first (1 to 1000)")
	fs.Int64Var(&p.before, "before", 0, "list the "+noun+" older than this id")
	fs.BoolVar(&f.json, "json", false, "print the API's JSON")
}

// query is the list's query, filtered by state when set.
func (p *pageFlags) query(state string) url.Values { return pageQuery(p.limit, state, p.before) }

// pageQuery is the query of a paged list: limit, and state and before when
// set.
func pageQuery(limit int, state string, before int64) url.Values {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if state != "" {
		q.Set("state", state)
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	return q
}
