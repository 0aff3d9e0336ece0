package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/hooks"
	"github.com/podinit/podinit/signals"
)

const hookUsage = `Usage: podinit hook poststart|prestop [flags] [STEP...]

kubelet's exec handler for postStart and preStop. When PID 1 is podinit, the
hook starts or joins PID 1's run of the phase, prints its progress, and exits 0
when it succeeded. Otherwise it runs the STEPs (each one argument, e.g.
'sleep 10s') itself, writing progress into PID 1's log, with signal and
wait-exit aimed at PID 1 or at --pid / --pidof.

Flags:
`

// runHook is `podinit hook PHASE`: the exit code is what kubelet records.
func runHook(args []string, env environ) int {
	fs := pflag.NewFlagSet("podinit hook", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetInterspersed(true)
	pid := fs.Int("pid", 0, "aim signal and wait-exit at this pid (default 1), when PID 1 is not podinit")
	pidof := fs.String("pidof", "", "aim signal and wait-exit at the process named NAME, when PID 1 is not podinit")
	grace := durationValue(30 * time.Second)
	fs.Var(&grace, "grace-period", "the pod's terminationGracePeriodSeconds, which bounds prestop")
	format := fs.String("log-format", "text", "progress lines as text or json")
	check := fs.Bool("check", false, "check the flags and steps, print what the hook would do, and exit without running it: 1 when its steps may not fit the grace period")
	help := fs.BoolP("help", "h", false, "print this help")
	usageError := func(err error) int {
		fmt.Fprintf(stderr, "podinit hook: %v (see podinit hook --help)\n", err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return usageError(flagError(err))
	}
	if *help {
		fmt.Fprint(stdout, hookUsage+fs.FlagUsages())
		return 0
	}
	if err := setFromEnv(fs, env, "check"); err != nil {
		return usageError(err)
	}
	if fs.NArg() == 0 {
		return usageError(errors.New("no phase: expected poststart or prestop"))
	}
	phase, err := hooks.ParsePhase(fs.Arg(0))
	if err != nil || (phase != hooks.Poststart && phase != hooks.Prestop) {
		return usageError(fmt.Errorf("phase %q: expected poststart or prestop", fs.Arg(0)))
	}
	plan := hooks.NewPlan(time.Duration(grace), 0)
	for _, text := range fs.Args()[1:] {
		if err := plan.Add(phase, text); err != nil {
			return usageError(err)
		}
	}
	logFormat, err := hooks.ParseFormat(*format)
	if err != nil {
		return usageError(err)
	}
	if *pid != 0 && *pidof != "" {
		return usageError(errors.New("--pid and --pidof: expected one of them"))
	}
	if *pid < 0 {
		return usageError(fmt.Errorf("--pid %d: expected a process id", *pid))
	}
	if *check {
		fmt.Fprint(stdout, describeHook(phase, plan, *pid, *pidof))
		if warnings := planWarnings(plan); len(warnings) > 0 {
			for _, w := range warnings {
				fmt.Fprintf(stdout, "warning: %s\n", w)
			}
			return 1
		}
		return 0
	}

	err = joinPID1(phase)
	if !errors.Is(err, hooks.ErrNoPodinit) {
		if len(plan.Steps[phase]) > 0 {
			fmt.Fprintf(stderr, "podinit hook: PID 1 is podinit and runs its own %s steps; the %d given here were not run\n", phase, len(plan.Steps[phase]))
		}
		return hookResult(phase, err)
	}
	target := &processTarget{pid: *pid}
	if target.pid == 0 {
		target.pid = 1
	}
	if *pidof != "" {
		if target.pid, err = pidOf(*pidof); err != nil {
			return hookResult(phase, err)
		}
	}
	runner := &hooks.Runner{Target: target, Starter: hooks.PlainStarter{}, Format: logFormat, Emit: pid1Log()}
	err = runner.RunPhase(context.Background(), phase, plan.Steps[phase], plan.Budget(phase), time.Now())
	return hookResult(phase, err)
}

// describeHook is what `podinit hook --check` prints: what the hook would
// do, and the steps it would run itself when PID 1 is not podinit, with
// their worst cases within the phase's budget.
func describeHook(phase hooks.Phase, plan *hooks.Plan, pid int, pidof string) string {
	steps := plan.Steps[phase]
	target := "PID 1"
	switch {
	case pidof != "":
		target = "the process named " + pidof
	case pid != 0:
		target = "pid " + strconv.Itoa(pid)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "podinit hook %s: joins PID 1's %s phase when PID 1 is podinit; otherwise runs %d step(s) itself, aimed at %s\n",
		phase, phase, len(steps), target)
	if budget := plan.Budget(phase); budget > 0 && len(steps) > 0 {
		fmt.Fprintf(&b, "  budget %s (grace period %s), worst case %s\n", budget, plan.GracePeriod, worst(plan.WorstCase(phase)))
	}
	for i, s := range steps {
		fmt.Fprintf(&b, "  %d. %s  [worst case %s]\n", i+1, s.Redacted(), worst(s.WorstCase()))
	}
	return b.String()
}

// joinPID1 joins PID 1's run of phase. Kubelet runs the postStart hook as
// soon as the container has started, when PID 1 may still be podinit on its
// way to opening the control socket: if PID 1 runs this very program, the
// hook waits for the socket rather than conclude that PID 1 is not podinit.
func joinPID1(phase hooks.Phase) error {
	err := hooks.Join(phase, stdout)
	for start := time.Now(); errors.Is(err, hooks.ErrNoPodinit) && pid1IsThisProgram() && time.Since(start) < pid1StartTimeout; {
		time.Sleep(20 * time.Millisecond)
		err = hooks.Join(phase, stdout)
	}
	return err
}

// pid1StartTimeout bounds the wait for PID 1's control socket.
const pid1StartTimeout = 5 * time.Second

// pid1IsThisProgram tells whether PID 1 runs the same file as this process.
// It cannot tell when PID 1's executable is hidden from this user.
func pid1IsThisProgram() bool {
	pid1, err := os.Stat("/proc/1/exe")
	if err != nil {
		return false
	}
	self, err := os.Stat("/proc/self/exe")
	return err == nil && os.SameFile(pid1, self)
}

func hookResult(phase hooks.Phase, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "podinit hook %s: %v\n", phase, err)
		return 1
	}
	return 0
}

// pid1Log writes progress lines into PID 1's standard output, which is the
// container's log, so `kubectl logs` shows what the hook did; kubelet keeps
// only a hook's failure. Where that is not writable, our own output is used.
func pid1Log() func(string) {
	w := io.Writer(stdout)
	// A raw descriptor, not an *os.File: the file's finalizer would close
	// the descriptor under the writer once the garbage collector ran.
	if fd, err := unix.Open("/proc/1/fd/1", unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0); err == nil {
		w = fdWriter(fd)
	}
	return func(line string) { fmt.Fprintln(w, line) }
}

// processTarget is the app of a container whose PID 1 is not podinit.
type processTarget struct{ pid int }

func (t *processTarget) Signal(sig unix.Signal) (string, error) {
	if err := unix.Kill(t.pid, sig); err != nil {
		return "", fmt.Errorf("kill %d: %w", t.pid, err)
	}
	return signals.Sent(sig, t.pid), nil
}

// Exited is closed when the process is gone. A pidfd becomes readable when
// the process exits, so the wait costs no polling.
func (t *processTarget) Exited() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		fd, err := unix.PidfdOpen(t.pid, 0)
		if err != nil {
			return // already gone
		}
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				return
			}
		}
	}()
	return ch
}

// pidOf finds the lowest pid whose command name or program is name.
func pidOf(name string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		argv0, _, _ := strings.Cut(string(cmdline), "\x00")
		if strings.TrimSpace(string(comm)) == name || (argv0 != "" && filepath.Base(argv0) == name) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("--pidof %s: no such process", name)
}
