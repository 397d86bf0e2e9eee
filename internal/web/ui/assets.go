package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// staticAsset is one embedded file served under a checksummed name.
type staticAsset struct {
	body        []byte
	contentType string
}

// assets maps the embedded static files to URLs that carry a checksum of
// their content, so they can be cached forever and still change on upgrade.
type assets struct {
	byURLName map[string]staticAsset // "app.1a2b3c4d5e.css" → file
	urls      map[string]string      // "app.css" → "/static/app.1a2b3c4d5e.css"
}

func loadAssets() (*assets, error) {
	a := &assets{byURLName: map[string]staticAsset{}, urls: map[string]string{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		urlName := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byURLName[urlName] = staticAsset{body: body, contentType: ct}
		a.urls[e.Name()] = "/static/" + urlName
	}
	return a, nil
}

// url returns the checksummed URL of an embedded file.
func (a *assets) url(name string) (string, error) {
	u, ok := a.urls[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return u, nil
}

// handleStatic serves an embedded asset by its checksummed name.
func (s *UI) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.byURLName[r.PathValue("file")]
	if !ok {
		http.Error(w, "no such asset", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(f.body)
}
