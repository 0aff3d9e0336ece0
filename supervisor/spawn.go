package supervisor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// SpawnError says the application could not be started. Err is
// exec.ErrNotFound or the errno that fork or execve returned.
type SpawnError struct {
	Name string
	Err  error
}

func (e *SpawnError) Error() string { return fmt.Sprintf("exec %s: %v", e.Name, e.Err) }
func (e *SpawnError) Unwrap() error { return e.Err }

// NotFound reports whether the command does not exist, which shells report
// as 127; any other failure to start is 126 ("found but not executable").
func (e *SpawnError) NotFound() bool {
	return errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, unix.ENOENT) || errors.Is(e.Err, unix.ENOTDIR)
}

// spawn starts the application. The child gets podinit's inherited signal
// mask (the Go runtime restores it before exec) and default handlers, and
// keeps every file descriptor podinit inherited, as tini's children do.
func spawn(cfg *Config, tty *terminal) (int, error) {
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	path, err := lookPath(cfg.Argv[0], env)
	if err != nil {
		return 0, &SpawnError{Name: cfg.Argv[0], Err: err}
	}
	sys := &syscall.SysProcAttr{}
	switch cfg.Session {
	case NewSession:
		sys.Setsid = true
		// Only a terminal podinit has just released can be taken without
		// stealing it from the shell that started podinit.
		if tty.released {
			sys.Setctty, sys.Ctty = true, 0
		}
	case NewGroup:
		sys.Setpgid = true
		if tty.foreground {
			sys.Foreground, sys.Ctty = true, 0
		}
	}
	attr := &syscall.ProcAttr{Dir: cfg.Dir, Env: env, Files: []uintptr{0, 1, 2}, Sys: sys}
	pid, err := syscall.ForkExec(path, cfg.Argv, attr)
	if err != nil {
		return 0, &SpawnError{Name: cfg.Argv[0], Err: err}
	}
	return pid, nil
}

// lookPath finds name in the application's PATH, not podinit's, as execvp
// would in the child.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	sawAccess := false
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		candidate := dir + "/" + name
		st, err := os.Stat(candidate)
		if err != nil || st.IsDir() {
			continue
		}
		if unix.Access(candidate, unix.X_OK) == nil {
			return candidate, nil
		}
		sawAccess = true
	}
	if sawAccess {
		return "", unix.EACCES
	}
	return "", exec.ErrNotFound
}

// terminal describes podinit's standard input when it is a terminal.
type terminal struct {
	present    bool // standard input is a terminal
	foreground bool // and podinit's process group is its foreground group
	released   bool // podinit led the terminal's session and gave it up
}

func inspectTerminal() *terminal {
	t := &terminal{}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		return t
	}
	t.present = true
	if pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP); err == nil && pgrp == unix.Getpgrp() {
		t.foreground = true
	}
	return t
}

// detach gives up podinit's controlling terminal so the application's new
// session can take it. When the session leader does this the kernel sends
// SIGHUP and SIGCONT to the terminal's foreground group, podinit's own, and
// t.released says those two are on their way and must not be forwarded.
func (t *terminal) detach() error {
	if err := unix.IoctlSetInt(0, unix.TIOCNOTTY, 0); err != nil {
		return err
	}
	sid, _ := unix.Getsid(0)
	t.released = sid == unix.Getpid()
	return nil
}
