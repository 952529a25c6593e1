package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server die with the test binary, even when it
// is killed without running its cleanups.
func dieWithParent(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
