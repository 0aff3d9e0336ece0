package signals

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RTMin and RTMax bound the real-time signals available to applications.
const (
	RTMin = unix.Signal(34)
	RTMax = unix.Signal(64)
)

// names lists the standard signals by their name without the SIG prefix.
// SIGIOT, SIGPOLL and SIGCLD are accepted as aliases by Parse.
var names = map[unix.Signal]string{
	unix.SIGHUP: "HUP", unix.SIGINT: "INT", unix.SIGQUIT: "QUIT", unix.SIGILL: "ILL",
	unix.SIGTRAP: "TRAP", unix.SIGABRT: "ABRT", unix.SIGBUS: "BUS", unix.SIGFPE: "FPE",
	unix.SIGKILL: "KILL", unix.SIGUSR1: "USR1", unix.SIGSEGV: "SEGV", unix.SIGUSR2: "USR2",
	unix.SIGPIPE: "PIPE", unix.SIGALRM: "ALRM", unix.SIGTERM: "TERM", unix.SIGSTKFLT: "STKFLT",
	unix.SIGCHLD: "CHLD", unix.SIGCONT: "CONT", unix.SIGSTOP: "STOP", unix.SIGTSTP: "TSTP",
	unix.SIGTTIN: "TTIN", unix.SIGTTOU: "TTOU", unix.SIGURG: "URG", unix.SIGXCPU: "XCPU",
	unix.SIGXFSZ: "XFSZ", unix.SIGVTALRM: "VTALRM", unix.SIGPROF: "PROF", unix.SIGWINCH: "WINCH",
	unix.SIGIO: "IO", unix.SIGPWR: "PWR", unix.SIGSYS: "SYS",
}

var aliases = map[string]unix.Signal{"IOT": unix.SIGABRT, "POLL": unix.SIGIO, "CLD": unix.SIGCHLD}

// Name returns the conventional name of sig: "SIGTERM", "SIGRTMIN+3", or
// "signal 33" for a number that has no name.
func Name(sig unix.Signal) string {
	if n, ok := names[sig]; ok {
		return "SIG" + n
	}
	switch {
	case sig == RTMin:
		return "SIGRTMIN"
	case sig == RTMax:
		return "SIGRTMAX"
	case sig > RTMin && sig < RTMax:
		return fmt.Sprintf("SIGRTMIN+%d", sig-RTMin)
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// Parse reads a signal given as a name ("TERM", "SIGTERM", "sigterm",
// "RTMIN+3", "SIGRTMAX-1") or a number ("15"). Zero is not a signal here; see
// ParseRewrite for the one place where 0 has a meaning.
func Parse(s string) (unix.Signal, error) {
	sig, err := parse(s)
	if err != nil {
		return 0, err
	}
	if sig == 0 {
		return 0, fmt.Errorf("signal %q: expected a signal name such as TERM or a number from 1 to %d", s, int(RTMax))
	}
	return sig, nil
}

func parse(s string) (unix.Signal, error) {
	bad := fmt.Errorf("signal %q: expected a signal name such as TERM or a number from 1 to %d", s, int(RTMax))
	if s == "" {
		return 0, bad
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > int(RTMax) {
			return 0, bad
		}
		return unix.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for sig, n := range names {
		if n == name {
			return sig, nil
		}
	}
	if sig, ok := aliases[name]; ok {
		return sig, nil
	}
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	return 0, bad
}

// parseRealtime reads RTMIN, RTMAX, RTMIN+N and RTMAX-N.
func parseRealtime(name string) (unix.Signal, bool) {
	base, sign := RTMin, 1
	rest, found := strings.CutPrefix(name, "RTMIN")
	if !found {
		base, sign = RTMax, -1
		if rest, found = strings.CutPrefix(name, "RTMAX"); !found {
			return 0, false
		}
	}
	if rest == "" {
		return base, true
	}
	op := "+"
	if sign < 0 {
		op = "-"
	}
	digits, ok := strings.CutPrefix(rest, op)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n > int(RTMax-RTMin) {
		return 0, false
	}
	return base + unix.Signal(sign*n), true
}
