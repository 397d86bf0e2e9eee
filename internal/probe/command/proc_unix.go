//go:build unix

package command

import (
	"os/exec"
	"syscall"
)

// startGroup puts the plugin in a process group of its own, so a timeout
// can end it together with every child it started.
func startGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig (terminate, or kill when hard) to the plugin's
// whole process group.
func signalGroup(cmd *exec.Cmd, hard bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
