//go:build !unix

package command

import "os/exec"

// startGroup does nothing where there are no process groups.
func startGroup(*exec.Cmd) {}

// signalGroup kills the plugin itself; its children are not reached
// without process groups.
func signalGroup(cmd *exec.Cmd, hard bool) {
	if cmd.Process != nil && hard {
		_ = cmd.Process.Kill()
	}
}
