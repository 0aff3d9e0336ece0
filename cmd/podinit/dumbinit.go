package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/logsink"
	"github.com/podinit/podinit/signals"
	"github.com/podinit/podinit/supervisor"
)

// The dumb-init persona: dumb-init 1.2's command line, environment, exit
// codes and debug lines.

const dumbInitHelp = `podinit, as %[1]s
Usage: %[1]s [option] command [[arg] ...]

Runs command as a simple process supervisor that forwards signals to children.
It is designed to run as PID 1 in minimal container environments.

Optional arguments:
   -c, --single-child   Run in single-child mode.
                        In this mode, signals are only proxied to the
                        direct child and not any of its descendants.
   -r, --rewrite s:r    Rewrite received signal s to new signal r before proxying.
                        To ignore (not proxy) a signal, rewrite it to 0.
                        This option can be specified multiple times.
   -v, --verbose        Print debugging information to stderr.
   -h, --help           Print this help message and exit.
   -V, --version        Print the current version and exit.

Environment: DUMB_INIT_SETSID=0 runs without a new session; DUMB_INIT_DEBUG=1 is -v.
`

const dumbInitRewriteUsage = `Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.
This option can be specified multiple times.
Use --help for full usage.
`

// dumbInitMaxSignal is the highest signal dumb-init's -r takes.
const dumbInitMaxSignal = 31

type dumbInitLog struct {
	debug bool
	sink  *logsink.Sink // nil until supervision starts
}

func (d *dumbInitLog) printf(format string, args ...any) {
	if d.debug {
		d.errorf(format, args...)
	}
}

// errorf writes a line whatever the verbosity.
func (d *dumbInitLog) errorf(format string, args ...any) {
	emit(d.sink, 2, fmt.Sprintf("[dumb-init] "+format, args...))
}

func runDumbInit(args []string, env environ) int {
	name := args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	short := fmt.Sprintf("Usage: %[1]s [option] program [args]\nTry %[1]s --help for full usage.\n", name)
	g := getopt{spec: "hvVcr:", long: map[string]byte{
		"help": 'h', "single-child": 'c', "rewrite": 'r', "verbose": 'v', "version": 'V',
	}}
	opts, argv, err := g.parse(args[1:])
	if err != nil {
		// getopt's one line, as dumb-init prints it; the usage only when
		// no program is given.
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	log := &dumbInitLog{}
	rewrite := signals.Rewrite{}
	singleChild := false
	for _, o := range opts {
		switch o.letter {
		case 'h':
			fmt.Fprintf(stderr, dumbInitHelp, name)
			return 0
		case 'V':
			fmt.Fprintln(stderr, versionLine())
			return 0
		case 'v':
			log.debug = true
		case 'c':
			singleChild = true
		case 'r':
			from, to, err := signals.ParseRewrite(o.arg)
			if err != nil || from > dumbInitMaxSignal || to > dumbInitMaxSignal {
				fmt.Fprint(stderr, dumbInitRewriteUsage)
				return 1
			}
			rewrite[from] = to
		}
	}
	if v, ok := env.lookup("DUMB_INIT_DEBUG"); ok && v == "1" {
		log.debug = true
	}
	setsid := !singleChild
	if v, ok := env.lookup("DUMB_INIT_SETSID"); ok && v == "0" {
		setsid = false
	}
	if len(argv) == 0 {
		fmt.Fprint(stderr, short)
		return 1
	}
	log.sink = newSink(2, func(n int) string { return fmt.Sprintf("[dumb-init] %d log lines dropped", n) })
	defer closeSink(log.sink)
	log.printf("Running in debug mode.")
	cfg := supervisor.Config{
		Argv:      argv,
		Env:       env.list,
		Session:   supervisor.SameGroup,
		Rewrite:   rewrite,
		Leftovers: supervisor.TermGroup,
		// dumb-init stops itself after every TSTP, TTIN or TTOU, in both
		// modes: under -c a shell's Ctrl-Z otherwise never sees the job stop.
		SuspendWithApp: true,
		Events:         log.event,
	}
	if setsid {
		cfg.Session, cfg.SignalGroup = supervisor.NewSession, true
		// As dumb-init, forward them as SIGSTOP unless -r says otherwise:
		// the app's group, in a session of its own, is orphaned, and the
		// kernel discards TSTP, TTIN and TTOU sent to an orphaned group.
		for _, sig := range []unix.Signal{unix.SIGTSTP, unix.SIGTTOU, unix.SIGTTIN} {
			if _, ok := rewrite[sig]; !ok {
				rewrite[sig] = unix.SIGSTOP
			}
		}
	} else {
		log.printf("Not running in setsid mode.")
	}
	// dumb-init moves itself to / so that it holds no mount busy; the
	// application still starts where dumb-init was started.
	if cwd, err := os.Getwd(); err == nil && os.Chdir("/") == nil {
		cfg.Dir = cwd
	}
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
		log.errorf("%s: %s", spawnErr.Name, strerror(spawnErr.Err))
		code = 2
	case err != nil:
		log.errorf("%v", err)
		code = max(code, 1)
	default:
		log.printf("Child exited with status %d. Goodbye.", code)
	}
	return lc.finish(code, err)
}

func (d *dumbInitLog) event(e supervisor.Event) {
	switch e.Kind {
	case supervisor.TerminalDetached:
		if e.Err != nil {
			d.printf("Unable to detach from controlling tty (errno=%d %s).", errnoOf(e.Err), strerror(e.Err))
		}
	case supervisor.Spawned:
		d.printf("Child spawned with PID %d.", e.PID)
	case supervisor.Received:
		d.printf("Received signal %d.", int(e.Signal))
	case supervisor.Forwarded:
		if e.Sent != e.Signal {
			d.printf("Translating signal %d to %d.", int(e.Signal), int(e.Sent))
		}
		d.printf("Forwarded signal %d to children.", int(e.Sent))
		d.suspending(e.Signal)
	case supervisor.Dropped:
		d.printf("Translating signal %d to 0.", int(e.Signal))
		d.printf("Not forwarding signal 0 to children (ignored).")
		d.suspending(e.Signal)
	case supervisor.Reaped, supervisor.AppExited:
		if e.Status.Signaled() {
			d.printf("A child with PID %d was terminated by signal %d.", e.PID, int(e.Status.Signal()))
		} else {
			d.printf("A child with PID %d exited with exit status %d.", e.PID, e.Status.ExitStatus())
		}
	}
}

// suspending says what follows a job-control stop, whatever it was
// rewritten to: the supervisor stops podinit itself.
func (d *dumbInitLog) suspending(sig unix.Signal) {
	if signals.IsJobControlStop(sig) {
		d.printf("Suspending self due to TTY signal.")
	}
}

func errnoOf(err error) int {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return 0
}
