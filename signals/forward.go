package signals

import "golang.org/x/sys/unix"

// Forwardable reports whether an init should catch sig and pass it on to the
// application: every signal another process can send, the synchronous ones
// (SEGV, ABRT and the rest), URG and the C library's 32 and 33 included. It
// excludes only the signals nobody can catch (KILL, STOP) and the one an init
// keeps for itself (CHLD). Where the Go runtime needs one of them for itself
// (a real fault, its own preemption), the intake tells the two apart by
// sender; see RuntimeNeeds.
func Forwardable(sig unix.Signal) bool {
	switch sig {
	case unix.SIGKILL, unix.SIGSTOP, unix.SIGCHLD:
		return false
	}
	return sig >= 1 && sig <= RTMax
}

// RuntimeNeeds reports whether the Go runtime must still see sig when the
// kernel raises it for podinit itself or podinit sends it to itself: the
// faults (a real SIGSEGV of podinit's must crash it with a traceback, not be
// forwarded), ABRT (the runtime's own abort), SYS (a seccomp refusal), URG
// (goroutine preemption, sent thread to thread) and 33 (the runtime's
// per-thread system calls). The same signals sent by another process are
// forwarded like any other.
func RuntimeNeeds(sig unix.Signal) bool {
	switch sig {
	case unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS,
		unix.SIGURG, 33:
		return true
	}
	return false
}

// IsJobControlStop reports whether sig asks a process to suspend itself from
// the terminal: TSTP (Ctrl-Z), TTIN and TTOU.
func IsJobControlStop(sig unix.Signal) bool {
	return sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU
}
