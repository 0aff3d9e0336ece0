package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/hooks"
	"github.com/podinit/podinit/logsink"
	"github.com/podinit/podinit/signals"
	"github.com/podinit/podinit/supervisor"
	"github.com/podinit/podinit/termination"
)

// lifecycleFlags are the options that configure the lifecycle: the same in
// every persona, from the command line in podinit's and from PODINIT_*
// variables in tini's and dumb-init's.
type lifecycleFlags struct {
	steps          map[hooks.Phase]*[]string
	planFile       string
	logFormat      string
	terminationLog string
}

// buildPlan reads the plan file, then the steps given one by one, in order.
func buildPlan(lf *lifecycleFlags, grace, stopTimeout time.Duration) (*hooks.Plan, error) {
	plan := hooks.NewPlan(grace, stopTimeout)
	if lf.planFile != "" {
		f, err := os.Open(lf.planFile)
		if err != nil {
			return nil, fmt.Errorf("plan file: %w", err)
		}
		defer f.Close()
		if err := plan.ReadPlanFile(f, lf.planFile); err != nil {
			return nil, err
		}
	}
	for _, phase := range hooks.Phases {
		for _, text := range *lf.steps[phase] {
			if err := plan.Add(phase, text); err != nil {
				return nil, fmt.Errorf("--%s: %w", phase, err)
			}
		}
	}
	return plan, nil
}

// lifecycle joins a plan to a supervisor: it fills cfg's seams, serves the
// control socket, and after the supervision runs poststop and writes the
// termination message.
type lifecycle struct {
	lc               *hooks.Lifecycle
	hooks            hooks.Server
	sup              *supervisor.Supervisor
	log              *logger
	terminationLog   string
	poststartFailed  atomic.Value  // error
	poststartJoined  chan struct{} // closed when a hook first joins poststart
	joinedOnce       sync.Once
	oomKillsAtStart  int
	oomKillsReadable bool
}

func newLifecycle(plan *hooks.Plan, lf *lifecycleFlags, cfg *supervisor.Config, log *logger) (*lifecycle, error) {
	format, err := hooks.ParseFormat(lf.logFormat)
	if err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	l := &lifecycle{log: log, terminationLog: lf.terminationLog, poststartJoined: make(chan struct{})}
	l.oomKillsAtStart, l.oomKillsReadable = oomKills()
	// The phases run in processes of their own, never in PID 1's: see
	// hooks.ProcessRunner.
	runner := &hooks.ProcessRunner{Command: phaseCommand, Format: format}
	l.lc = &hooks.Lifecycle{Plan: plan, Runner: runner,
		Emit: log.progress,
	}
	if len(plan.Steps[hooks.Prestart]) > 0 {
		cfg.BeforeStart = l.prestart
	}
	cfg.AfterStart = l.poststart
	// Without prestop steps a stop signal is forwarded straight away; a
	// hook that asks for prestop still gets its (empty) run.
	if len(plan.Steps[hooks.Prestop]) > 0 {
		cfg.BeforeStop = l.prestop
	}
	l.sup = supervisor.New(*cfg)
	runner.Target, runner.Starter = l.sup, phaseStarter{l.sup}
	return l, nil
}

// phaseStarter starts phase processes for the loop to reap, and plainly once
// supervision is over, for poststop.
type phaseStarter struct{ sup *supervisor.Supervisor }

func (s phaseStarter) Start(cmd *exec.Cmd) (func() unix.WaitStatus, error) {
	wait, err := s.sup.Start(cmd)
	if errors.Is(err, supervisor.ErrSupervisionOver) {
		return hooks.PlainStarter{}.Start(cmd)
	}
	return wait, err
}

// phaseCommand is podinit re-executed as a phase process. argv[0] is
// podinit's own name whatever the persona, so the copy runs podinit's
// hidden phase command.
func phaseCommand(phase hooks.Phase) *exec.Cmd {
	return &exec.Cmd{Path: "/proc/self/exe", Args: []string{"podinit", phaseProcessCommand, string(phase)}}
}

// phaseProcessCommand is the hidden command a phase process runs.
const phaseProcessCommand = "_phase"

// serve answers `podinit hook` on the control socket. Without it podinit
// still supervises; hooks then run their own steps.
func (l *lifecycle) serve() {
	ln, err := hooks.Listen()
	if err != nil {
		l.log.logf(levelInfo, "%v: `podinit hook` cannot reach this podinit", err)
		return
	}
	l.hooks.Log = func(debug bool, msg string) {
		level := levelInfo
		if debug {
			level = levelDebug
		}
		l.log.logf(level, "%s", msg)
	}
	go l.hooks.Serve(ln, l.trigger)
}

// trigger is what a hook may do: join poststart, which PID 1 starts with the
// app, and start or join prestop.
func (l *lifecycle) trigger(phase hooks.Phase) (*hooks.Run, error) {
	switch phase {
	case hooks.Poststart:
		l.joinedOnce.Do(func() { close(l.poststartJoined) })
		return l.lc.Await(context.Background(), phase)
	case hooks.Prestop:
		// The phase may outlive the app (signal TERM, then wait-exit): the
		// leftovers are signalled, and PID 1 exits, only once it has ended
		// and its hooks have their answers, so none is killed first.
		release := l.sup.Hold()
		run, _ := l.lc.Start(phase, "hook")
		go func() {
			<-run.Done()
			l.hooks.Drain()
			release()
		}()
		return run, nil
	}
	return nil, fmt.Errorf("%s is run by podinit itself: a hook can join poststart or prestop", phase)
}

func (l *lifecycle) prestart(ctx context.Context) error {
	run, _ := l.lc.Start(hooks.Prestart, "podinit")
	select {
	case <-run.Done():
	case <-ctx.Done():
		run.CutShort()
		<-run.Done()
	}
	return run.Err()
}

// poststart runs once the app has started. A required step that fails fails
// the container, as a failed postStart hook does in Kubernetes: the app is
// stopped and podinit exits non-zero.
func (l *lifecycle) poststart() {
	run, _ := l.lc.Start(hooks.Poststart, "podinit")
	<-run.Done()
	err := run.Err()
	if err == nil {
		return
	}
	select {
	case <-l.sup.Exited():
		// The app ended first, and its steps' processes with it: the
		// app's own exit is what the container reports.
		return
	default:
	}
	l.poststartFailed.Store(err)
	l.log.logf(levelInfo, "%v", err)
	if l.kubeletDrives(run) {
		return
	}
	// The postStart hook takes its answer and exits before the stop's
	// leftover signals could reach it.
	l.hooks.Drain()
	l.sup.Stop("poststart failed")
}

// kubeletDrives waits, after a failed poststart, for what kubelet does
// about it, and reports whether kubelet took the stop over. Kubelet runs
// its postStart exec hook as soon as the container has started; a phase
// that fails before the hook has joined it would end the container before
// kubelet could record why ("cannot exec in a stopped container"), so PID 1
// gives the hook a few seconds to come. Once the hook has the failure,
// kubelet kills the container as a deletion does: its preStop hook runs
// prestop, then it sends SIGTERM; stopping the app first would make that
// preStop fail too. Without kubelet (docker run) no hook comes, and after
// the wait podinit stops the app itself.
func (l *lifecycle) kubeletDrives(run *hooks.Run) bool {
	wait := time.NewTimer(time.Until(run.Started.Add(hookArrivalTimeout)))
	defer wait.Stop()
	select {
	case <-l.poststartJoined:
	case <-l.sup.Exited():
		return true
	case <-wait.C:
		return false // no kubelet: the stop is podinit's
	}
	wait.Reset(kubeletKillTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prestop := make(chan struct{})
	go func() {
		if _, err := l.lc.Await(ctx, hooks.Prestop); err == nil {
			close(prestop)
		}
	}()
	select {
	case <-prestop:
		return true // kubelet's preStop hook started it; its SIGTERM follows
	case <-l.sup.Exited():
		return true
	case <-l.sup.Stopping():
		return true
	case <-wait.C:
		return false
	}
}

// hookArrivalTimeout is how long after poststart began a failed poststart
// waits for kubelet's postStart hook to join it; kubeletKillTimeout is how
// long it then waits for kubelet to stop the container.
const (
	hookArrivalTimeout = 3 * time.Second
	kubeletKillTimeout = 5 * time.Second
)

// prestop runs before the first stop signal is forwarded. When a hook has
// already started it, the signal means kubelet is done waiting for the
// hook, so a run still going is cut short; otherwise this signal starts it
// and waits for it, unless a second stop signal cancels ctx.
func (l *lifecycle) prestop(ctx context.Context, cause string) time.Time {
	by := cause
	if cause != "signal" {
		by = "podinit after " + cause // poststart failed
	}
	run, started := l.lc.Start(hooks.Prestop, by)
	if !started {
		select {
		case <-run.Done():
		default:
			l.log.logf(levelInfo, "stop signal during the prestop phase started by a hook: cutting it short")
			run.CutShort()
			<-run.Done()
		}
		return run.Started
	}
	select {
	case <-run.Done():
	case <-ctx.Done():
		run.CutShort()
		<-run.Done()
	}
	return run.Started
}

// finish runs poststop once the app and its leftovers are gone, writes the
// termination message and returns podinit's exit code, once the hooks being
// answered have had their answers.
func (l *lifecycle) finish(code int, runErr error) int {
	run, _ := l.lc.Start(hooks.Poststop, "podinit")
	<-run.Done()
	if failed, _ := l.poststartFailed.Load().(error); failed != nil && code == 0 {
		code = 1
	}
	l.writeTerminationMessage(code, runErr)
	l.hooks.Drain()
	return code
}

// writeTerminationMessage leaves a short reason where Kubernetes reads it,
// when that file exists and can be written: podinit never creates it, and
// says why when it exists but cannot take the message.
func (l *lifecycle) writeTerminationMessage(code int, runErr error) {
	if l.terminationLog == "" {
		return
	}
	err := termination.Write(l.terminationLog, l.terminationMessage(code, runErr))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		l.log.logf(levelInfo, "%v", err)
	}
}

func (l *lifecycle) terminationMessage(code int, runErr error) string {
	var b strings.Builder
	if runErr != nil {
		fmt.Fprintf(&b, "podinit: %v (exit code %d)\n", runErr, code)
	} else if status := l.sup.Status(); status.Signaled() {
		fmt.Fprintf(&b, "app killed by %s (exit code %d)\n", signals.Name(status.Signal()), code)
	} else {
		fmt.Fprintf(&b, "app exited with code %d\n", status.ExitStatus())
	}
	if n, ok := oomKills(); ok && l.oomKillsReadable && n > l.oomKillsAtStart {
		fmt.Fprintf(&b, "OOM killer: killed %d process(es) in this container\n", n-l.oomKillsAtStart)
	}
	for _, phase := range []hooks.Phase{hooks.Poststart, hooks.Prestop} {
		if run, ok := l.lc.Started(phase); ok && len(l.lc.Plan.Steps[phase]) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", phase, outcome(run))
		}
	}
	return b.String()
}

func outcome(run *hooks.Run) string {
	var pe *hooks.PhaseError
	switch err := run.Err(); {
	case err == nil:
		return "ok (started by " + run.By + ")"
	case errors.As(err, &pe) && pe.Cut:
		return fmt.Sprintf("cut short at step %d (started by %s)", pe.Step, run.By)
	default:
		return fmt.Sprintf("failed: %v (started by %s)", err, run.By)
	}
}

// personaLifecycle is the lifecycle of the tini and dumb-init personas: their
// command lines stay exactly the originals', so the plan, the grace period
// and the stop timeout come from the PODINIT_* variables only. Without them
// there is no stop timeout, as with the originals.
// Its own lines go to sink, the persona's, in podinit's words.
func personaLifecycle(env environ, cfg *supervisor.Config, sink *logsink.Sink) (*lifecycle, error) {
	fs, f := newPodinitFlags()
	if err := setFromEnv(fs, env); err != nil {
		return nil, err
	}
	if fs.Changed("grace-period") {
		cfg.GracePeriod = time.Duration(f.gracePeriod)
	}
	if fs.Changed("stop-timeout") {
		cfg.StopTimeout = time.Duration(f.stopTimeout)
	}
	plan, err := buildPlan(&f.lifecycle, time.Duration(f.gracePeriod), time.Duration(f.stopTimeout))
	if err != nil {
		return nil, err
	}
	format, _ := hooks.ParseFormat(f.lifecycle.logFormat) // newLifecycle reports a bad one
	log := &logger{level: levelInfo, json: format == "json", now: time.Now, sink: sink}
	return newLifecycle(plan, &f.lifecycle, cfg, log)
}
