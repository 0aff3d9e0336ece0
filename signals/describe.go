package signals

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// descriptions are the C library's strsignal texts, which tini prints in its
// verbose lines ("Passing signal: 'Terminated'"). Log filters match on them.
var descriptions = map[unix.Signal]string{
	unix.SIGHUP: "Hangup", unix.SIGINT: "Interrupt", unix.SIGQUIT: "Quit",
	unix.SIGILL: "Illegal instruction", unix.SIGTRAP: "Trace/breakpoint trap",
	unix.SIGABRT: "Aborted", unix.SIGBUS: "Bus error", unix.SIGFPE: "Floating point exception",
	unix.SIGKILL: "Killed", unix.SIGUSR1: "User defined signal 1",
	unix.SIGSEGV: "Segmentation fault", unix.SIGUSR2: "User defined signal 2",
	unix.SIGPIPE: "Broken pipe", unix.SIGALRM: "Alarm clock", unix.SIGTERM: "Terminated",
	unix.SIGSTKFLT: "Stack fault", unix.SIGCHLD: "Child exited", unix.SIGCONT: "Continued",
	unix.SIGSTOP: "Stopped (signal)", unix.SIGTSTP: "Stopped", unix.SIGTTIN: "Stopped (tty input)",
	unix.SIGTTOU: "Stopped (tty output)", unix.SIGURG: "Urgent I/O condition",
	unix.SIGXCPU: "CPU time limit exceeded", unix.SIGXFSZ: "File size limit exceeded",
	unix.SIGVTALRM: "Virtual timer expired", unix.SIGPROF: "Profiling timer expired",
	unix.SIGWINCH: "Window changed", unix.SIGIO: "I/O possible", unix.SIGPWR: "Power failure",
	unix.SIGSYS: "Bad system call",
}

// Description returns the C library's text for sig, as strsignal(3) does.
func Description(sig unix.Signal) string {
	if d, ok := descriptions[sig]; ok {
		return d
	}
	if sig >= RTMin && sig <= RTMax {
		return fmt.Sprintf("Real-time signal %d", sig-RTMin)
	}
	return fmt.Sprintf("Unknown signal %d", int(sig))
}
