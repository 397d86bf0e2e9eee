package api

import (
	_ "embed"
	"net/http"
)

// openAPISpec is the hand-written OpenAPI 3.1 description of /api/v1.
//
//go:embed openapi.json
var openAPISpec []byte

// handleOpenAPI serves GET /api/v1/openapi.json.
func (s *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPISpec)
}
