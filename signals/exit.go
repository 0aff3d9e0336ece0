package signals

import "golang.org/x/sys/unix"

// ExitCode turns a wait status into the code a shell would report: the exit
// status itself, or 128+N for a process killed by signal N.
func ExitCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return (128 + int(ws.Signal())) % 256
	}
	return 255
}

// ExitRemap turns selected exit codes into 0, as tini's -e does: a JVM that
// exits 143 after SIGTERM has stopped cleanly.
type ExitRemap map[int]bool

// Apply returns 0 when code is remapped and code otherwise.
func (m ExitRemap) Apply(code int) int {
	if m[code] {
		return 0
	}
	return code
}
