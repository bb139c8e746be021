package natstest

import (
	"os/exec"
	"syscall"
)

// setParentDeath makes the kernel kill the server if the test binary dies
// without running Stop (a panic, a timeout, kill -9).
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
