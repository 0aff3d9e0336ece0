// Package initloop is the loop of the bench's floor inits: the least a Go
// program must do to be a container's PID 1, and nothing more, so that what
// podinit spends above it is podinit's own.
package initloop

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Run starts os.Args[1:], forwards SIGTERM and SIGINT to it, reaps every
// child and exits as the started one did (128+N when it died of signal N).
func Run() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "floor: no command to run")
		os.Exit(2)
	}
	// Subscribed before the child exists: SIGCHLD is ignored by default, so
	// a child that exited before Notify would leave no signal to wake the
	// loop. The channel's buffer may overflow; SIGCHLDs coalesce anyway,
	// which is why every one drains wait4 until nothing is left.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	path, err := lookPath(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(127)
	}
	// Files beyond 0-2 without close-on-exec, such as the bench's report
	// pipe on fd 3, pass to the child as they do through execve.
	pid, err := syscall.ForkExec(path, os.Args[1:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: start %s: %v\n", path, err)
		os.Exit(126)
	}
	for s := range sigs {
		sig := s.(syscall.Signal)
		if sig != syscall.SIGCHLD {
			_ = syscall.Kill(pid, sig)
			continue
		}
		if code, done := reap(pid); done {
			os.Exit(code)
		}
	}
}

// reap waits for every child that has exited and reports the started one's
// exit code once it is among them.
func reap(main int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 {
			return code, done
		}
		if pid == main {
			code, done = ws.ExitStatus(), true
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
}

// lookPath is exec.LookPath without os/exec, whose package initialisation
// a floor should not pay: a name with a slash is a path, otherwise the first
// executable file of that name in $PATH.
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in $PATH", name)
}
