package config

import _ "embed"

//go:embed starter.yaml
var starter []byte

// Starter returns the commented starter configuration that `tocsin init`
// writes. It is valid as it is. The caller gets its own copy.
func Starter() []byte {
	return append([]byte(nil), starter...)
}
