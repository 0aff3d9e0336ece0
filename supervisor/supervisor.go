package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// Supervisor is one supervision of an application. Its methods other than
// Run may be called from any goroutine while Run runs: they hand their work
// to the loop.
type Supervisor struct{ l *loop }

// New prepares a supervisor; nothing starts before Run.
func New(cfg Config) *Supervisor {
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	return &Supervisor{l: &loop{cfg: &cfg, self: os.Getpid(),
		waiters: map[int]chan unix.WaitStatus{}, exited: make(chan struct{}), stoppingCh: make(chan struct{})}}
}

// Run starts the application (after BeforeStart, if set) and supervises it
// until it and everything it left behind are gone, and returns podinit's exit
// code. It returns an error only when the application could not be started
// (a *SpawnError), BeforeStart failed, or podinit could not set itself up;
// once the application runs, problems are reported as events and the
// application's exit code is always returned.
func (s *Supervisor) Run() (int, error) {
	l := s.l
	if len(l.cfg.Argv) == 0 {
		return 0, errors.New("no command to run")
	}
	if err := l.setUp(); err != nil {
		return 0, err
	}
	reserveThreads(spareThreads())
	if l.cfg.BeforeStart == nil {
		l.startApp()
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		l.startCancel = cancel
		go func() {
			err := l.cfg.BeforeStart(ctx)
			l.post(func() {
				if err == nil && l.state == starting {
					l.startApp()
				} else if l.state == starting {
					l.finish(1, fmt.Errorf("%w: %v", ErrNotStarted, err))
				}
			})
		}()
	}
	return l.run()
}

// ErrNotStarted says BeforeStart did not succeed, so the application never ran.
var ErrNotStarted = errors.New("the app was not started")

// Start starts cmd beside the application and returns a function that waits
// for it. The loop reaps cmd like every other child and hands its status to
// wait (cmd.Wait must not be called otherwise, or it would race the loop).
// Once the loop is ending it starts nothing and returns ErrSupervisionOver:
// the caller then starts cmd as usual.
func (s *Supervisor) Start(cmd *exec.Cmd) (func() unix.WaitStatus, error) {
	type started struct {
		ch    chan unix.WaitStatus
		err   error
		plain bool // the loop is ending and will reap no more
	}
	reply := make(chan started, 1)
	if !s.l.post(func() {
		if s.l.state == finished {
			reply <- started{plain: true}
			return
		}
		if err := cmd.Start(); err != nil {
			reply <- started{err: err}
			return
		}
		ch := make(chan unix.WaitStatus, 1)
		s.l.waiters[cmd.Process.Pid] = ch
		reply <- started{ch: ch}
	}) {
		return nil, ErrSupervisionOver
	}
	r := <-reply
	if r.plain {
		return nil, ErrSupervisionOver
	}
	if r.err != nil {
		return nil, r.err
	}
	return func() unix.WaitStatus {
		ws := <-r.ch
		_ = cmd.Wait() // releases its pipes; its own wait finds nothing
		return ws
	}, nil
}

// Signal sends sig to the application as a forwarded signal is sent: to its
// process group unless it runs alone. It says whom it signalled.
func (s *Supervisor) Signal(sig unix.Signal) (string, error) {
	type result struct {
		target int
		err    error
	}
	reply := make(chan result, 1)
	if !s.l.post(func() {
		if !s.l.state.appRunning() {
			reply <- result{err: errors.New("the app is not running")}
			return
		}
		t := s.l.target()
		reply <- result{t, unix.Kill(t, sig)}
	}) {
		return "", errors.New("the app is not running: supervision is over")
	}
	r := <-reply
	if r.err != nil {
		return "", r.err
	}
	return signals.Sent(sig, r.target), nil
}

// ErrSupervisionOver says the loop has ended, or is ending, and reaps no more.
var ErrSupervisionOver = errors.New("supervision is over")

// Status is how the application ended, once Exited is closed.
func (s *Supervisor) Status() unix.WaitStatus {
	<-s.l.exited
	return s.l.status
}

// Exited is closed when the application has exited.
func (s *Supervisor) Exited() <-chan struct{} { return s.l.exited }

// Stopping is closed when the stop sequence has begun.
func (s *Supervisor) Stopping() <-chan struct{} { return s.l.stoppingCh }

// Hold keeps the leftovers from being signalled and Run from returning,
// once the application has exited, until release is called: work beside
// the loop that outlives the app on purpose ends first, as BeforeStop's
// does. release may be called more than once.
func (s *Supervisor) Hold() (release func()) {
	s.l.post(func() { s.l.holds++ })
	var once sync.Once
	return func() { once.Do(func() { s.l.post(func() { s.l.holds-- }) }) }
}

// Stop starts the stop sequence as the first stop signal would, for
// reason (such as "poststart failed"), unless a stop has already begun.
func (s *Supervisor) Stop(reason string) {
	s.l.post(func() {
		if s.l.state == running {
			s.l.beginStop(s.l.cfg.stopSignals()[0], reason)
		}
	})
}

type loop struct {
	cfg  *Config
	self int
	in   *intake
	tty  *terminal

	// state is where the supervision is in the app's life; see state.go.
	state    state
	observe  func(from, to state) // for tests: told of every move
	app      int                  // the app's pid, 0 until it has started
	appGroup bool
	exited   chan struct{} // closed when the application exits
	status   unix.WaitStatus
	code     int

	startCancel context.CancelFunc // cuts BeforeStart short

	// The kernel's SIGHUP and SIGCONT after podinit released its terminal.
	ignoreKernelHUP, ignoreKernelCONT bool

	stoppingCh chan struct{} // closed when the stop sequence begins
	stopStart  time.Time
	stopCancel context.CancelFunc // cuts BeforeStop short
	// laterStops are the other stop signals that arrived while BeforeStop
	// ran: the app gets each of them after the first, as tini and
	// dumb-init would have forwarded them (an app may stop only on TERM).
	laterStops []unix.Signal
	// holds counts the work beside the loop that must end before the
	// leftovers are signalled and Run returns: BeforeStop, and Hold's.
	holds      int
	escalation *time.Timer

	leftoverKill *time.Timer

	waiters map[int]chan unix.WaitStatus // children started with Supervisor.Start

	err error // with code, what Run returns once finished

	// Work other goroutines hand the loop. Once closed, post refuses more:
	// the loop closes the queue only when it is empty, so everything post
	// accepted runs.
	postMu sync.Mutex
	posted []func()
	closed bool
}

// setUp registers podinit as a reaper and routes signals to the intake, all
// before the application starts, so that no SIGCHLD can be missed.
func (l *loop) setUp() error {
	if l.self != 1 {
		if l.cfg.Subreaper {
			// A refusal (a seccomp profile that denies prctl, or qemu-user,
			// which answers EINVAL) costs only the reaping of orphans: the
			// app still runs, is forwarded its signals and gives its exit
			// code, so it is reported and the app started, as tini does
			// when it is not a subreaper.
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				l.cfg.Events(Event{Kind: SubreaperRefused, Err: err})
			} else {
				l.cfg.Events(Event{Kind: Subreaper})
			}
		} else {
			l.cfg.Events(Event{Kind: NotReaping})
		}
	}
	if l.cfg.PdeathSignal != 0 {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(l.cfg.PdeathSignal), 0, 0, 0); err != nil {
			return fmt.Errorf("set parent death signal: %w", err)
		}
	}
	in, err := openIntake()
	if err != nil {
		return err
	}
	l.in = in
	for sig := unix.Signal(1); sig <= signals.RTMax; sig++ {
		switch {
		case l.cfg.IgnoreTTYSignals && (sig == unix.SIGTTIN || sig == unix.SIGTTOU):
			// Ignored once the app has started (see startApp).
		case sig == unix.SIGCHLD || (signals.Forwardable(sig) && !inheritedIgnore(sig)):
			err = catch(sig)
		}
		if err != nil {
			return err
		}
	}
	l.tty = inspectTerminal()
	if l.cfg.Session == NewSession {
		err := error(unix.ENOTTY)
		if l.tty.present {
			err = l.tty.detach()
		}
		l.ignoreKernelHUP, l.ignoreKernelCONT = l.tty.released, l.tty.released
		l.cfg.Events(Event{Kind: TerminalDetached, Err: err})
	}
	return nil
}

// post runs fn on the loop's goroutine, and reports false when the loop
// has ended and fn will never run.
func (l *loop) post(fn func()) bool {
	l.postMu.Lock()
	if l.closed {
		l.postMu.Unlock()
		return false
	}
	l.posted = append(l.posted, fn)
	l.postMu.Unlock()
	l.in.wake()
	return true
}

// close ends the queue if nothing waits in it, and reports whether it did.
func (l *loop) close() bool {
	l.postMu.Lock()
	defer l.postMu.Unlock()
	if len(l.posted) > 0 {
		return false
	}
	l.closed = true
	return true
}

func (l *loop) run() (int, error) {
	for l.state != finished || !l.close() {
		recs, err := l.in.read()
		if err != nil {
			// The pipe is podinit's own and never closed, so read cannot fail
			// short of memory corruption; should it, podinit keeps reaping
			// each time round rather than lose the app's exit status.
			l.cfg.Events(Event{Kind: Received, Err: err})
			recs = []record{{Signo: unix.SIGCHLD}}
		}
		if n := dropped(); n > 0 {
			l.cfg.Events(Event{Kind: SignalsLost, Count: int(n)})
		}
		reap := false
		for _, r := range recs {
			if r.Signo == unix.SIGCHLD {
				reap = true
			}
			l.handle(r)
		}
		l.runPosted()
		// An app that exits during BeforeStop (signal and wait-exit steps
		// stop it themselves) waits for the phase to finish its report.
		if (reap || l.state.appGone()) && l.reap() && l.holds == 0 {
			l.finish(l.code, nil)
		}
	}
	return l.code, l.err
}

// move makes the transition to to; one the app's life cannot make is
// refused and reported, never acted on.
func (l *loop) move(to state) bool {
	from := l.state
	if err := l.state.transition(to); err != nil {
		l.cfg.Events(Event{Kind: Refused, Err: err})
		return false
	}
	if l.observe != nil {
		l.observe(from, to)
	}
	return true
}

func (l *loop) finish(code int, err error) {
	if l.state == finished {
		return // the first reason stands
	}
	if !l.move(finished) {
		return
	}
	l.code, l.err = code, err
	for _, t := range []*time.Timer{l.escalation, l.leftoverKill} {
		if t != nil {
			t.Stop()
		}
	}
}

// startApp spawns the application once BeforeStart has succeeded.
func (l *loop) startApp() {
	pid, err := spawn(l.cfg, l.tty)
	if err != nil {
		l.finish(0, err)
		return
	}
	l.app = pid
	l.move(running)
	l.appGroup = l.cfg.Session != SameGroup
	if l.cfg.IgnoreTTYSignals {
		// Only now: a SIG_IGN set before the fork would reach the app, since
		// the Go runtime resets only the signals it handles itself.
		_ = ignore(unix.SIGTTIN)
		_ = ignore(unix.SIGTTOU)
	}
	l.cfg.Events(Event{Kind: Spawned, PID: pid, Argv: l.cfg.Argv})
	if l.cfg.AfterStart != nil {
		go l.cfg.AfterStart()
	}
}

func (l *loop) runPosted() {
	l.postMu.Lock()
	work := l.posted
	l.posted = nil
	l.postMu.Unlock()
	for _, fn := range work {
		fn()
	}
}

func (l *loop) handle(r record) {
	if r.Signo == 0 {
		return // a wake-up: posted work is run after the batch
	}
	l.cfg.Events(Event{Kind: Received, Signal: r.Signo, PID: r.Pid, From: signals.Sender{PID: r.Pid, Code: r.Code}})
	switch {
	case r.Signo == unix.SIGCHLD:
		return
	case r.Pid == l.self && r.Code == siUser:
		// Raised by podinit itself, such as the kernel's SIGPIPE for a
		// write to a closed log pipe: none of the application's business.
		return
	case r.Code == siKernel && r.Signo == unix.SIGHUP && l.ignoreKernelHUP:
		l.ignoreKernelHUP = false
		return
	case r.Code == siKernel && r.Signo == unix.SIGCONT && l.ignoreKernelCONT:
		l.ignoreKernelCONT = false
		return
	}
	if l.app == 0 {
		// Still in BeforeStart (or it failed): a stop signal cancels the
		// start; there is no one to forward anything else to.
		if slices.Contains(l.cfg.stopSignals(), r.Signo) && l.startCancel != nil {
			l.startCancel()
			l.finish(signals.ExitCode(unix.WaitStatus(r.Signo)), fmt.Errorf("%w: stopped by %s", ErrNotStarted, signals.Name(r.Signo)))
		}
		return
	}
	if slices.Contains(l.cfg.stopSignals(), r.Signo) && l.state.appRunning() {
		l.stop(r.Signo)
		return
	}
	l.forward(r.Signo)
	if l.cfg.SuspendWithApp && signals.IsJobControlStop(r.Signo) {
		// SIGSTOP sent to oneself is ignored by the kernel for PID 1, so
		// this matters only when podinit runs under a shell.
		_ = unix.Kill(l.self, unix.SIGSTOP)
	}
}

// target is where forwarded signals go: the application's process group or
// the application alone.
func (l *loop) target() int {
	if l.cfg.SignalGroup && l.appGroup {
		return -l.app
	}
	return l.app
}

func (l *loop) forward(sig unix.Signal) {
	sent := l.cfg.Rewrite.Apply(sig)
	if sent == 0 {
		l.cfg.Events(Event{Kind: Dropped, Signal: sig})
		return
	}
	err := unix.Kill(l.target(), sent)
	l.cfg.Events(Event{Kind: Forwarded, Signal: sig, Sent: sent, PID: l.target(), Err: err})
}

// stop runs the stop sequence for a stop signal. The first one runs
// BeforeStop beside the loop and forwards when it is done; one that arrives
// while BeforeStop runs cuts it short; later ones are simply forwarded.
func (l *loop) stop(sig unix.Signal) {
	switch l.state {
	case running:
		l.beginStop(sig, "")
	case prestopping:
		// BeforeStop ends promptly once cancelled and then forwards, so
		// its phase can still report how it was cut short.
		if l.stopCancel != nil {
			l.stopCancel()
		}
		if !slices.Contains(l.laterStops, sig) {
			l.laterStops = append(l.laterStops, sig)
		}
	default:
		l.forward(sig)
	}
}

// beginStop starts the stop sequence with sig, received or, when reason is
// set, chosen by podinit itself for that reason.
func (l *loop) beginStop(sig unix.Signal, reason string) {
	l.stopStart = time.Now()
	close(l.stoppingCh)
	l.cfg.Events(Event{Kind: Stopping, Signal: sig, Reason: reason})
	if l.cfg.BeforeStop == nil {
		l.sendStop(sig)
		return
	}
	l.move(prestopping)
	ctx, cancel := context.WithCancel(context.Background())
	l.stopCancel = cancel
	l.holds++
	cause := reason
	if cause == "" {
		cause = "signal"
	}
	go func() {
		began := l.cfg.BeforeStop(ctx, cause)
		l.post(func() {
			l.holds--
			if began.Before(l.stopStart) {
				l.stopStart = began // a hook began the stop earlier
			}
			l.sendStop(sig)
		})
	}()
}

func (l *loop) sendStop(sig unix.Signal) {
	if l.state != running && l.state != prestopping {
		return // the app exited meanwhile, or has its signal already
	}
	l.move(signalled)
	if l.stopCancel != nil {
		l.stopCancel()
	}
	l.forward(sig)
	for _, later := range l.laterStops {
		if later != sig {
			l.forward(later)
		}
	}
	if d := l.cfg.stopTimeout(l.stopStart); d > 0 {
		l.escalation = time.AfterFunc(d, func() { l.post(func() { l.escalate(d) }) })
	}
}

func (l *loop) escalate(after time.Duration) {
	if l.state != signalled {
		return // exited meanwhile
	}
	target := l.app
	if l.appGroup {
		target = -l.app
	}
	err := unix.Kill(target, unix.SIGKILL)
	l.cfg.Events(Event{Kind: Escalated, PID: target, Sent: unix.SIGKILL, After: after, Err: err})
}

// reap collects every child that has exited and reports whether podinit is
// done: the application has exited and, depending on cfg.Leftovers, nothing
// it left behind remains. wait4 is called until it has nothing more to give,
// because SIGCHLDs that arrive together are delivered once.
func (l *loop) reap() bool {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			return l.state.appGone() // no child left at all
		}
		if err != nil || pid == 0 {
			break
		}
		switch ch, ok := l.waiters[pid]; {
		case pid == l.app && l.state.appRunning():
			l.appExited(ws)
		case ok:
			delete(l.waiters, pid)
			ch <- ws
		default:
			l.cfg.Events(Event{Kind: Reaped, PID: pid, Status: ws})
		}
	}
	// Leftovers wait while BeforeStop or a Hold's work still runs: its
	// steps may outlive the app on purpose (deregister after wait-exit).
	if !l.state.appGone() || l.holds > 0 {
		return false
	}
	switch l.cfg.Leftovers {
	case Abandon, TermGroup:
		return true
	}
	if l.state == exited {
		l.move(leftovers)
		l.signalLeftovers(unix.SIGTERM)
		l.leftoverKill = time.AfterFunc(l.cfg.leftoverTimeout(), func() {
			l.post(func() { l.signalLeftovers(unix.SIGKILL) })
		})
	}
	return false
}

func (l *loop) appExited(ws unix.WaitStatus) {
	l.move(exited)
	l.status = ws
	close(l.exited)
	if l.escalation != nil {
		l.escalation.Stop()
	}
	// A BeforeStop still running goes on within its budget: its remaining
	// steps may be meant for after the app (a wait-exit, then cleanup).
	l.code = l.cfg.RemapExit.Apply(signals.ExitCode(ws))
	l.cfg.Events(Event{Kind: AppExited, PID: l.app, Status: ws, Code: l.code})
	if l.cfg.Leftovers == TermGroup {
		l.forward(unix.SIGTERM)
	}
}

// signalLeftovers sends sig to every process podinit is still responsible
// for: as PID 1 that is everyone else in the namespace (kill(-1) spares only
// the caller); as a subreaper, its descendants.
func (l *loop) signalLeftovers(sig unix.Signal) {
	pids := descendants(l.self)
	if l.self == 1 {
		// One system call, so nothing forked meanwhile slips through.
		_ = unix.Kill(-1, sig)
	} else {
		for _, pid := range pids {
			_ = unix.Kill(pid, sig)
		}
	}
	if len(pids) > 0 {
		l.cfg.Events(Event{Kind: LeftoversSignalled, Sent: sig, Count: len(pids)})
	}
}
