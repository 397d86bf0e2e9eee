package app

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/store"
)

// TestHostilePingsDoNotFailNeighbours sends valid pings and pings whose
// text PostgreSQL refuses (a User-Agent of invalid UTF-8, one cut in the
// middle of a character at the 256-byte limit; bodies of invalid UTF-8
// with NUL bytes; net/http itself answers 400 to a NUL in a header) all at once through the real server, so
// they share group commits. Every ping is answered 200 and stored; the
// stored text is valid UTF-8 cut on a character boundary; bodies are kept
// as sent.
func TestHostilePingsDoNotFailNeighbours(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) { hostilePings(t, driver) })
	}
}

func hostilePings(t *testing.T, driver string) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
  pings:
    heartbeat_rate: 0
    client_rate: 0
`+storageYAML(t, driver)+`
heartbeats:
  - id: job
    uuid: `+hbUUID+`
    period: 1h
`)
	r := start(t, path)
	url := r.url + "/ping/" + hbUUID

	// A User-Agent of 255 ASCII bytes and a 3-byte character: a cut at
	// 256 bytes would split the character.
	longUA := strings.Repeat("a", 255) + "€€"
	hostile := []struct {
		ua   string
		body string
	}{
		{ua: "bad\xff\xfeagent"},
		{ua: longUA},
		{ua: "curl/8", body: "out\xff\x00put\xe2\x82"},
		{ua: "x\xc3", body: "\x00"},
	}
	const workers, each = 16, 40
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				ua, body := "valid/1", fmt.Sprintf("run %d-%d", w, i)
				if i%4 == 0 {
					h := hostile[(w+i/4)%len(hostile)]
					ua, body = h.ua, h.body
				}
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("User-Agent", ua)
				res, err := client.Do(req)
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%q: %v", ua, err))
					mu.Unlock()
					continue
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%q: %d", ua, res.StatusCode))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("%d of %d pings failed, e.g. %s", len(failed), workers*each, failed[0])
	}

	pings, err := r.app.store.Pings(t.Context(), "job", store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := workers * each; len(pings) != want {
		t.Errorf("%d pings stored, want %d", len(pings), want)
	}
	seen := map[string]bool{}
	for _, p := range pings {
		if !utf8.ValidString(p.UserAgent) || strings.IndexByte(p.UserAgent, 0) >= 0 || len(p.UserAgent) > 256 {
			t.Errorf("stored User-Agent %q is not valid text within 256 bytes", p.UserAgent)
		}
		seen[p.UserAgent] = true
		seen["body:"+string(p.Body)] = true
	}
	for _, want := range []string{"bad\uFFFDagent", strings.Repeat("a", 255), "x\uFFFD", "body:out\xff\x00put\xe2\x82", "body:\x00"} {
		if !seen[want] {
			t.Errorf("no stored ping has %q", want)
		}
	}
}
