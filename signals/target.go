package signals

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Target words whom a signal goes to, in kill(2)'s terms: a negative pid is
// a process group.
func Target(pid int) string {
	if pid < 0 {
		return fmt.Sprintf("process group %d", -pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// Sent words a signal sent to pid, as a signal step reports it.
func Sent(sig unix.Signal, pid int) string {
	return fmt.Sprintf("sent %s to %s", Name(sig), Target(pid))
}
