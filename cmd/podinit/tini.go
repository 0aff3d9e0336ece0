package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/logsink"
	"github.com/podinit/podinit/signals"
	"github.com/podinit/podinit/supervisor"
)

// The tini persona: tini 0.19's command line, environment, exit codes and
// log lines, so that an image can replace tini with podinit and keep its
// ENTRYPOINT and its log filters.

const tiniUsage = `Usage: %[1]s [OPTIONS] PROGRAM -- [ARGS] | --version

Execute a program under the supervision of a valid init process (podinit, as %[1]s)

Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (requires Linux >= 3.4).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. "-p SIGKILL".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.
  -l: Show license and exit.

Environment variables:

  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.

`

// tiniLog prints tini's levels: WARN and FATAL to stderr, the rest to stdout.
type tiniLog struct {
	verbosity int
	pid       int
	warnReap  bool
	sink      *logsink.Sink // nil until supervision starts
}

func (t *tiniLog) print(level int, tag string, format string, args ...any) {
	if level != 0 && t.verbosity < level {
		return
	}
	fd := 1
	if level <= 1 {
		fd = 2
	}
	emit(t.sink, fd, t.line(tag, fmt.Sprintf(format, args...)))
}

func (t *tiniLog) line(tag, msg string) string {
	return fmt.Sprintf("[%s tini (%d)] %s", tag, t.pid, msg)
}

func (t *tiniLog) fatal(format string, args ...any) { t.print(0, "FATAL", format, args...) }
func (t *tiniLog) warn(format string, args ...any)  { t.print(1, "WARN ", format, args...) }
func (t *tiniLog) info(format string, args ...any)  { t.print(2, "INFO ", format, args...) }
func (t *tiniLog) debug(format string, args ...any) { t.print(3, "DEBUG", format, args...) }
func (t *tiniLog) trace(format string, args ...any) { t.print(4, "TRACE", format, args...) }

func runTini(args []string, env environ) int {
	name := args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	usage := fmt.Sprintf(tiniUsage, name)
	log := &tiniLog{verbosity: 1, pid: os.Getpid()}

	if len(args) == 2 && args[1] == "--version" {
		fmt.Fprintln(stdout, tiniVersionLine())
		return 0
	}
	_, posix := env.lookup("POSIXLY_CORRECT")
	opts, argv, err := getopt{spec: "p:hvwgle:s", permute: !posix}.parse(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n%s", name, err, usage)
		return 1
	}
	cfg := supervisor.Config{
		Session:          supervisor.NewGroup,
		Leftovers:        supervisor.Abandon,
		IgnoreTTYSignals: true,
		RemapExit:        signals.ExitRemap{},
	}
	for _, o := range opts {
		switch o.letter {
		case 'h':
			fmt.Fprint(stdout, usage)
			return 0
		case 'l':
			fmt.Fprint(stdout, license)
			return 0
		case 's':
			cfg.Subreaper = true
		case 'p':
			// tini takes only names it knows, such as SIGKILL.
			sig, err := signals.Parse(o.arg)
			if err != nil || !strings.HasPrefix(o.arg, "SIG") {
				log.fatal("Not a valid option for -p: %s", o.arg)
				return 1
			}
			cfg.PdeathSignal = sig
		case 'v':
			log.verbosity++
		case 'w':
			log.warnReap = true
		case 'g':
			cfg.SignalGroup = true
		case 'e':
			code, err := strconv.Atoi(o.arg)
			if err != nil || code < 0 || code > 255 {
				log.fatal("Not a valid option for -e: %s", o.arg)
				return 1
			}
			cfg.RemapExit[code] = true
		}
	}
	if len(argv) == 0 {
		fmt.Fprint(stderr, usage)
		return 1
	}
	// As tini, the environment is read after the command line and wins.
	if _, ok := env.lookup("TINI_SUBREAPER"); ok {
		cfg.Subreaper = true
	}
	if _, ok := env.lookup("TINI_KILL_PROCESS_GROUP"); ok {
		cfg.SignalGroup = true
	}
	if v, ok := env.lookup("TINI_VERBOSITY"); ok {
		log.verbosity, _ = strconv.Atoi(v) // atoi: anything else is 0
	}

	cfg.Argv, cfg.Env, cfg.Events = argv, env.list, log.event
	log.sink = newSink(2, func(n int) string { return log.line("WARN ", fmt.Sprintf("%d log lines dropped", n)) })
	defer closeSink(log.sink)
	lc, err := personaLifecycle(env, &cfg, log.sink)
	if err != nil {
		fmt.Fprintf(stderr, "podinit: %v\n", err)
		return 2
	}
	lc.serve()
	code, err := lc.sup.Run()
	var spawnErr *supervisor.SpawnError
	switch {
	case errors.As(err, &spawnErr):
		log.fatal("exec %s failed: %s", spawnErr.Name, strerror(spawnErr.Err))
		code = 1
		switch {
		case spawnErr.NotFound():
			code = 127
		case errors.Is(spawnErr.Err, unix.EACCES):
			code = 126
		}
	case err != nil:
		log.fatal("%v", err)
		code = max(code, 1)
	default:
		log.trace("Exiting: child has exited")
	}
	return lc.finish(code, err)
}

const tiniReaperWarning = `Tini is not running as PID 1 and isn't registered as a child subreaper.
Zombie processes will not be re-parented to Tini, so zombie reaping won't work.
To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER to register Tini as a child subreaper, or run Tini as PID 1.`

func (t *tiniLog) event(e supervisor.Event) {
	switch e.Kind {
	case supervisor.Subreaper:
		t.trace("Registered as child subreaper")
	case supervisor.NotReaping:
		t.warn(tiniReaperWarning)
	case supervisor.SubreaperRefused:
		t.warn("Failed to register as child subreaper: %s", strerror(e.Err))
		t.warn(tiniReaperWarning)
	case supervisor.Spawned:
		t.info("Spawned child process '%s' with pid '%d'", e.Argv[0], e.PID)
	case supervisor.Received:
		if e.Signal == unix.SIGCHLD {
			t.debug("Received SIGCHLD")
		}
	case supervisor.Forwarded, supervisor.Dropped:
		t.debug("Passing signal: '%s'", signals.Description(e.Signal))
		if errors.Is(e.Err, unix.ESRCH) {
			t.warn("Child was dead when forwarding signal")
		}
	case supervisor.Reaped:
		t.debug("Reaped child with pid: '%d'", e.PID)
		if t.warnReap {
			t.warn("Reaped zombie process with pid=%d", e.PID)
		}
	case supervisor.AppExited:
		t.debug("Reaped child with pid: '%d'", e.PID)
		if e.Status.Signaled() {
			t.info("Main child exited with signal (with signal '%s')", signals.Description(e.Status.Signal()))
		} else {
			t.info("Main child exited normally (with status '%d')", e.Status.ExitStatus())
		}
	case supervisor.SignalsLost:
		t.warn("%d signals were lost: more arrived at once than could be queued", e.Count)
	}
}

// strerror words an error as the C library does: "No such file or directory".
func strerror(err error) string {
	if errors.Is(err, exec.ErrNotFound) {
		err = unix.ENOENT // what execvp reports for a name not on PATH
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}
