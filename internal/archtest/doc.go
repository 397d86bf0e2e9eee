// Package archtest holds the architecture test: it lists the imports of
// every package of the module with `go list` and checks each import of
// one Tocsin package by another against the table of allowed directions
// in rules_test.go. A failure names the rule, in words, and the import
// that breaks it. The package has no code of its own.
package archtest
