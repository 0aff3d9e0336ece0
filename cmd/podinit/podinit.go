package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/hooks"
	"github.com/podinit/podinit/procfs"
	"github.com/podinit/podinit/signals"
	"github.com/podinit/podinit/supervisor"
)

// command is one podinit subcommand, in the manner of cmd/go: the table
// drives both dispatch and the help text.
type command struct {
	name    string
	usage   string // its synopsis, for the help; "" hides the command
	summary string
	run     func(args []string, env environ) int
}

var commands []command

func init() {
	commands = []command{
		{"hook", "podinit hook poststart|prestop", "kubelet's exec hook: start or join PID 1's phase", runHook},
		{"plan", "podinit plan [--strict] [flags] [--] [CMD...]", "print the plan and each step's worst case", runPlan},
		{"version", "podinit version", "print version, commit and Go version",
			func([]string, environ) int { fmt.Fprintln(stdout, versionLine()); return 0 }},
		{"help", "podinit help", "print this help", func([]string, environ) int { fmt.Fprint(stdout, podinitHelp()); return 0 }},
		// Not for users: PID 1 runs each phase in a copy of itself.
		{phaseProcessCommand, "", "", func([]string, environ) int { return hooks.RunPhaseProcess() }},
	}
}

const helpIntro = `podinit: a container's PID 1. It starts CMD, forwards signals to it, reaps
every zombie, stops it in order, and exits with its exit code.

Usage:
`

const helpFlags = `
Flags (each also read from PODINIT_<NAME>, e.g. PODINIT_STOP_TIMEOUT=20s;
repeatable flags take a comma-separated list there; the command line wins):
`

// podinitHelp is the help text up to the flags, one line a command.
func podinitHelp() string {
	var b strings.Builder
	b.WriteString(helpIntro)
	line := func(usage, summary string) {
		const width = 37 // the summaries' column, less the indent
		if len(usage) < width-1 {
			fmt.Fprintf(&b, "  %-*s%s\n", width, usage, summary)
		} else {
			fmt.Fprintf(&b, "  %s\n  %*s%s\n", usage, width, "", summary)
		}
	}
	line("podinit [flags] [--] CMD [ARGS...]", "supervise CMD")
	for _, c := range commands {
		if c.usage != "" {
			line(c.usage, c.summary)
		}
	}
	b.WriteString(helpFlags)
	return b.String()
}

// podinitFlags are the options of podinit's own persona.
type podinitFlags struct {
	singleChild     bool
	rewrite         signals.Rewrite
	stopSignals     signalListValue
	gracePeriod     durationValue
	stopTimeout     durationValue
	leftoverTimeout durationValue
	remapExit       signals.ExitRemap
	pdeathSignal    signalValue
	verbose         int
	quiet           bool
	help, version   bool
	lifecycle       lifecycleFlags
}

func newPodinitFlags() (*pflag.FlagSet, *podinitFlags) {
	f := &podinitFlags{
		rewrite:         signals.Rewrite{},
		remapExit:       signals.ExitRemap{},
		stopSignals:     signalListValue{sigs: []unix.Signal{unix.SIGTERM, unix.SIGINT}},
		gracePeriod:     durationValue(30 * time.Second),
		leftoverTimeout: durationValue(5 * time.Second),
	}
	fs := pflag.NewFlagSet("podinit", pflag.ContinueOnError)
	fs.SetInterspersed(false) // CMD's own flags are CMD's
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.BoolVarP(&f.singleChild, "single-child", "c", false, "forward signals to CMD alone, not to its whole process group")
	fs.VarP(rewriteValue(f.rewrite), "rewrite", "r", "forward signal FROM as TO (names or numbers; TO 0 drops FROM), e.g. TERM:QUIT; repeatable")
	fs.Var(&f.stopSignals, "stop-signal", "a `SIG`nal that starts the stop sequence; repeatable")
	fs.Var(&f.gracePeriod, "grace-period", "time from the first stop signal until CMD is killed")
	fs.Var(&f.stopTimeout, "stop-timeout", "time CMD has after its stop signal before SIGKILL (default: the rest of the grace period, of which prestop leaves half, at most 10s; never under 2s)")
	fs.Var(&f.leftoverTimeout, "leftover-timeout", "time processes CMD left behind have between SIGTERM and SIGKILL")
	fs.VarP(exitCodesValue(f.remapExit), "remap-exit", "e", "exit 0 when CMD exits with CODE, e.g. 143 for a JVM; repeatable")
	fs.VarP(&f.pdeathSignal, "pdeath-signal", "p", "signal podinit receives when its parent dies")
	addLifecycleFlags(fs, &f.lifecycle)
	fs.CountVarP(&f.verbose, "verbose", "v", "log every signal and reaped process")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "log errors only")
	fs.BoolVarP(&f.help, "help", "h", false, "print this help")
	fs.BoolVar(&f.version, "version", false, "print the version")
	return fs, f
}

var phaseHelp = map[hooks.Phase]string{
	hooks.Prestart:  "a `STEP` before CMD starts, e.g. 'wait-tcp db:5432 --timeout 60s'; repeatable",
	hooks.Poststart: "a `STEP` after CMD started, e.g. 'wait-http http://127.0.0.1:8080/health'; repeatable",
	hooks.Prestop:   "a `STEP` before CMD gets its stop signal, e.g. 'sleep 10s'; repeatable",
	hooks.Poststop:  "a `STEP` after CMD exited, e.g. 'exec rm -rf /tmp/app'; repeatable",
}

func addLifecycleFlags(fs *pflag.FlagSet, lf *lifecycleFlags) {
	lf.steps = map[hooks.Phase]*[]string{}
	for _, phase := range hooks.Phases {
		lf.steps[phase] = fs.StringArray(string(phase), nil, phaseHelp[phase])
	}
	fs.StringVar(&lf.planFile, "plan", "", "read steps from `FILE`, one 'PHASE: STEP' a line")
	fs.StringVar(&lf.logFormat, "log-format", "text", "`FORMAT` of the progress lines: text or json")
	fs.StringVar(&lf.terminationLog, "termination-log", "/dev/termination-log", "write why the container ended to `PATH`, when it exists; empty to disable")
}

func runPodinit(args []string, env environ) int {
	if len(args) > 1 {
		for _, c := range commands {
			if args[1] == c.name {
				return c.run(args[2:], env)
			}
		}
	}
	fs, f := newPodinitFlags()
	usageError := func(err error) int {
		fmt.Fprintf(stderr, "podinit: %v (see podinit --help)\n", err)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(flagError(err))
	}
	if f.help {
		fmt.Fprint(stdout, podinitHelp()+fs.FlagUsages())
		return 0
	}
	if f.version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	if err := setFromEnv(fs, env); err != nil {
		return usageError(err)
	}
	argv := fs.Args()
	if err := checkCommand(argv); err != nil {
		return usageError(err)
	}

	level := levelInfo
	switch {
	case f.quiet:
		level = levelError
	case f.verbose > 0:
		level = levelDebug
	}
	// A bad format is reported by newLifecycle below, before anything runs.
	format, _ := hooks.ParseFormat(f.lifecycle.logFormat)
	log := newLogger(level, format == "json")
	defer log.close()
	cfg := supervisor.Config{
		Argv:            argv,
		Env:             env.list,
		Session:         supervisor.NewSession,
		SignalGroup:     !f.singleChild,
		Rewrite:         f.rewrite,
		StopSignals:     f.stopSignals.sigs,
		GracePeriod:     time.Duration(f.gracePeriod),
		StopTimeout:     time.Duration(f.stopTimeout),
		RemapExit:       f.remapExit,
		Subreaper:       true,
		PdeathSignal:    unix.Signal(f.pdeathSignal),
		Leftovers:       supervisor.TermThenKill,
		LeftoverTimeout: time.Duration(f.leftoverTimeout),
		SuspendWithApp:  true,
		Events:          log.event,
	}
	plan, err := buildPlan(&f.lifecycle, time.Duration(f.gracePeriod), time.Duration(f.stopTimeout))
	if err != nil {
		return usageError(err)
	}
	lc, err := newLifecycle(plan, &f.lifecycle, &cfg, log)
	if err != nil {
		return usageError(err)
	}
	lc.serve()
	code, err := lc.sup.Run()
	var spawnErr *supervisor.SpawnError
	switch {
	case errors.As(err, &spawnErr):
		log.logf(levelError, "%v", err)
		code = 126
		if spawnErr.NotFound() {
			code = 127
		}
	case err != nil:
		log.logf(levelError, "%v", err)
		if code == 0 {
			code = 1
		}
	}
	return lc.finish(code, err)
}

// eventLevels is the level each event is logged at, so that an event too
// verbose for the level costs no formatting: with -v off, a forwarded signal
// or a reaped orphan is only this look-up.
var eventLevels = [...]int{
	supervisor.Subreaper:          levelDebug,
	supervisor.NotReaping:         levelDebug,
	supervisor.SubreaperRefused:   levelInfo,
	supervisor.TerminalDetached:   levelDebug,
	supervisor.Spawned:            levelInfo,
	supervisor.Received:           levelDebug,
	supervisor.Forwarded:          levelDebug,
	supervisor.Dropped:            levelDebug,
	supervisor.Stopping:           levelInfo,
	supervisor.Escalated:          levelInfo,
	supervisor.Reaped:             levelDebug,
	supervisor.AppExited:          levelInfo,
	supervisor.LeftoversSignalled: levelInfo,
	supervisor.SignalsLost:        levelError,
	supervisor.Refused:            levelError,
}

// event words a supervisor event in podinit's voice.
func (l *logger) event(e supervisor.Event) {
	if int(e.Kind) < len(eventLevels) && !l.enabled(eventLevels[e.Kind]) {
		return
	}
	switch e.Kind {
	case supervisor.Subreaper:
		l.logf(levelDebug, "not PID 1 (pid %d): registered as child subreaper, so orphans are re-parented here and reaped", os.Getpid())
	case supervisor.SubreaperRefused:
		l.logf(levelInfo, "not PID 1 (pid %d) and could not register as child subreaper (%v): orphans of the app are not reaped here; run podinit as PID 1 to reap them", os.Getpid(), e.Err)
	case supervisor.TerminalDetached:
		if e.Err != nil && !errors.Is(e.Err, unix.ENOTTY) {
			l.logf(levelDebug, "could not release the terminal for the app: %v", e.Err)
		}
	case supervisor.Spawned:
		l.logf(levelInfo, "started %s as pid %d", quoteArgv(e.Argv), e.PID)
	case supervisor.Received:
		if e.Signal != unix.SIGCHLD && l.level >= levelDebug {
			comm := ""
			if e.From.PID > 0 && !e.From.Kernel() {
				comm = procfs.Comm(e.From.PID)
			}
			l.logf(levelDebug, "received %s %s", signals.Name(e.Signal), e.From.Describe(comm))
		}
	case supervisor.Forwarded:
		l.logf(levelDebug, "forwarded %s to %s%s", describeRewrite(e.Signal, e.Sent), signals.Target(e.PID), errSuffix(e.Err))
	case supervisor.Dropped:
		l.logf(levelDebug, "dropped %s (rewritten to 0)", signals.Name(e.Signal))
	case supervisor.Stopping:
		if e.Reason != "" {
			l.logf(levelInfo, "%s: stopping the app with %s", e.Reason, signals.Name(e.Signal))
		} else {
			l.logf(levelInfo, "received %s: stopping the app", signals.Name(e.Signal))
		}
	case supervisor.Escalated:
		l.logf(levelInfo, "app still running %s after its stop signal: sending SIGKILL to %s%s", e.After, signals.Target(e.PID), errSuffix(e.Err))
	case supervisor.Reaped:
		l.logf(levelDebug, "reaped pid %d (%s)", e.PID, describeStatus(e.Status))
	case supervisor.AppExited:
		msg := fmt.Sprintf("app (pid %d) %s", e.PID, describeStatus(e.Status))
		if e.Code != signals.ExitCode(e.Status) {
			msg += fmt.Sprintf(", remapped to exit code %d", e.Code)
		}
		l.logf(levelInfo, "%s", msg)
	case supervisor.LeftoversSignalled:
		l.logf(levelInfo, "%d process(es) outlived the app: sending %s", e.Count, signals.Name(e.Sent))
	case supervisor.Refused:
		l.logf(levelError, "%v", e.Err)
	case supervisor.SignalsLost:
		l.logf(levelError, "%d signal(s) lost: more arrived at once than podinit could queue", e.Count)
	}
}

func describeStatus(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("killed by %s: exit code %d", signals.Name(ws.Signal()), signals.ExitCode(ws))
	}
	return fmt.Sprintf("exited with code %d", ws.ExitStatus())
}

func describeRewrite(from, to unix.Signal) string {
	if from == to {
		return signals.Name(from)
	}
	return fmt.Sprintf("%s as %s", signals.Name(from), signals.Name(to))
}

// checkCommand checks the app's command line before anything is started.
func checkCommand(argv []string) error {
	if len(argv) == 0 {
		return errors.New("no command to run: expected podinit [flags] [--] CMD [ARGS...]")
	}
	if argv[0] == "" {
		return errors.New(`command "": expected the name or path of a program`)
	}
	return nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf(" (%v)", err)
}

func quoteArgv(argv []string) string {
	s := fmt.Sprintf("%q", argv[0])
	if len(argv) > 1 {
		s += fmt.Sprintf(" with %d argument(s)", len(argv)-1)
	}
	return s
}
