package signals

import "fmt"

// Sender is who sent a signal, as the kernel's siginfo says: a process's pid
// (0 when the sender is outside the receiver's PID namespace) and si_code.
type Sender struct {
	PID  int
	Code int32
}

// From the kernel's siginfo.h: a positive si_code is the kernel's own.
const codeUser = 0 // kill(2)

// Kernel reports whether the kernel raised the signal itself.
func (s Sender) Kernel() bool { return s.Code > 0 }

// Describe words the sender for a log line; comm, if known, is the sending
// process's name.
func (s Sender) Describe(comm string) string {
	switch {
	case s.Kernel():
		return "from the kernel"
	case s.PID == 0 && s.Code == codeUser:
		return "from outside the PID namespace"
	case comm != "":
		return fmt.Sprintf("from pid %d (%s)", s.PID, comm)
	default:
		return fmt.Sprintf("from pid %d", s.PID)
	}
}
