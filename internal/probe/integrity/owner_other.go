//go:build !unix

package integrity

import "io/fs"

// ownerOf is empty where files have no Unix owner.
func ownerOf(fs.FileInfo) string { return "" }
