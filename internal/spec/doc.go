// Package spec parses the small value languages that configuration
// validation and the probes both read: HTTP status sets ("200-299", "2xx")
// and JSON paths ("$.items[0].name"). It imports nothing of Tocsin, so the
// configuration can check a value with the same parser a probe runs it with
// without importing any probe.
package spec
