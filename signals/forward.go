package signals

import "golang.org/x/sys/unix"

// Forwardable reports whether an init should catch sig and pass it on to the
// application. It excludes the signals nobody can catch (KILL, STOP), the one
// an init keeps for itself (CHLD), the synchronous faults that only make sense
// for the process that caused them (ILL, TRAP, ABRT, BUS, FPE, SEGV, SYS: tini
// leaves these alone too), and the signals the Go runtime needs: URG preempts
// goroutines, and 32 and 33 are reserved by the C library and the runtime.
func Forwardable(sig unix.Signal) bool {
	switch sig {
	case unix.SIGKILL, unix.SIGSTOP, unix.SIGCHLD,
		unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS,
		unix.SIGURG:
		return false
	}
	return sig >= 1 && sig <= RTMax && (sig < 32 || sig >= RTMin)
}

// IsJobControlStop reports whether sig asks a process to suspend itself from
// the terminal: TSTP (Ctrl-Z), TTIN and TTOU.
func IsJobControlStop(sig unix.Signal) bool {
	return sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU
}
