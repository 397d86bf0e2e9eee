package ui_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// The form on /heartbeats refuses a period of 0 and a name over the limit
// too, instead of quietly taking the default.
func TestHeartbeatFormRefusesZeroAndLongNames(t *testing.T) {
	t.Parallel()
	hbs := &webtest.Heartbeats{}
	e := webtest.New(t, func(o *web.Options) { o.Heartbeats = hbs })
	c := e.Setup()
	for _, form := range []map[string]string{
		{"id": "a", "period": "0"},
		{"id": "a", "period": "1h", "grace": "0"},
		{"id": "a", "period": "1h", "name": strings.Repeat("n", 201)},
	} {
		v := make(map[string][]string)
		for k, x := range form {
			v[k] = []string{x}
		}
		if r := e.PostForm(c, "/heartbeats", v); r.Status != 400 {
			t.Errorf("form %v: %d, want 400", form, r.Status)
		}
	}
	if got := hbs.Take(); len(got) > 0 {
		t.Errorf("refused forms reached CreateHeartbeat: %+v", got)
	}
}
