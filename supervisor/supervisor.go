package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// Run supervises cfg.Argv until it and everything it left behind are gone,
// and returns podinit's exit code. It returns an error only when the
// application could not be started (a *SpawnError) or podinit could not set
// itself up; once the application runs, problems are reported as events and
// the application's exit code is always returned.
func Run(cfg Config) (int, error) {
	if len(cfg.Argv) == 0 {
		return 0, errors.New("no command to run")
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	l := &loop{cfg: &cfg, self: os.Getpid(), posted: make(chan func(), 16)}
	if err := l.setUp(); err != nil {
		return 0, err
	}
	pid, err := spawn(&cfg, l.tty)
	if err != nil {
		return 0, err
	}
	l.app = pid
	l.appGroup = cfg.Session != SameGroup
	cfg.Events(Event{Kind: Spawned, PID: pid, Argv: cfg.Argv})
	return l.run(), nil
}

type loop struct {
	cfg  *Config
	self int
	in   *intake
	tty  *terminal

	app      int
	appGroup bool // the application leads its own process group
	appDone  bool
	code     int

	// The kernel's SIGHUP and SIGCONT after podinit released its terminal.
	ignoreKernelHUP, ignoreKernelCONT bool

	stopping   bool
	stopStart  time.Time
	stopCancel context.CancelFunc // cuts BeforeStop short
	stopSent   bool
	escalation *time.Timer

	leftoversSignalled bool
	leftoverKill       *time.Timer

	posted chan func()
}

// setUp registers podinit as a reaper and routes signals to the intake, all
// before the application starts, so that no SIGCHLD can be missed.
func (l *loop) setUp() error {
	if l.self != 1 {
		if l.cfg.Subreaper {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("register as child subreaper: %w", err)
			}
			l.cfg.Events(Event{Kind: Subreaper})
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
			err = ignore(sig)
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

// post runs fn on the loop's goroutine.
func (l *loop) post(fn func()) {
	l.posted <- fn
	l.in.wake()
}

func (l *loop) run() int {
	for {
		recs, err := l.in.read()
		if err != nil {
			// The pipe is podinit's own; this cannot happen short of memory
			// corruption. Reap what we can rather than spin.
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
		if reap || l.appDone {
			if l.reap() {
				return l.code
			}
		}
	}
}

func (l *loop) runPosted() {
	for {
		select {
		case fn := <-l.posted:
			fn()
		default:
			return
		}
	}
}

func (l *loop) handle(r record) {
	if r.Signo == 0 {
		return // a wake-up: posted work is run after the batch
	}
	l.cfg.Events(Event{Kind: Received, Signal: r.Signo, PID: r.Pid})
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
	if slices.Contains(l.cfg.stopSignals(), r.Signo) && !l.appDone {
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
	switch {
	case !l.stopping:
		l.stopping, l.stopStart = true, time.Now()
		l.cfg.Events(Event{Kind: Stopping, Signal: sig})
		if l.cfg.BeforeStop == nil {
			l.sendStop(sig)
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		l.stopCancel = cancel
		go func() {
			l.cfg.BeforeStop(ctx)
			l.post(func() { l.sendStop(sig) })
		}()
	case !l.stopSent:
		l.stopCancel()
		l.sendStop(sig)
	default:
		l.forward(sig)
	}
}

func (l *loop) sendStop(sig unix.Signal) {
	if l.stopSent || l.appDone {
		return
	}
	l.stopSent = true
	if l.stopCancel != nil {
		l.stopCancel()
	}
	l.forward(sig)
	if d := l.cfg.stopTimeout(l.stopStart); d > 0 {
		l.escalation = time.AfterFunc(d, func() { l.post(func() { l.escalate(d) }) })
	}
}

func (l *loop) escalate(after time.Duration) {
	if l.appDone {
		return
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
			return l.appDone // no child left at all
		}
		if err != nil || pid == 0 {
			break
		}
		if pid == l.app && !l.appDone {
			l.appExited(ws)
		} else {
			l.cfg.Events(Event{Kind: Reaped, PID: pid, Status: ws})
		}
	}
	if !l.appDone {
		return false
	}
	switch l.cfg.Leftovers {
	case Abandon, TermGroup:
		return true
	}
	if !l.leftoversSignalled {
		l.leftoversSignalled = true
		l.signalLeftovers(unix.SIGTERM)
		l.leftoverKill = time.AfterFunc(l.cfg.leftoverTimeout(), func() {
			l.post(func() { l.signalLeftovers(unix.SIGKILL) })
		})
	}
	return false
}

func (l *loop) appExited(ws unix.WaitStatus) {
	l.appDone = true
	if l.escalation != nil {
		l.escalation.Stop()
	}
	if l.stopCancel != nil {
		l.stopCancel()
	}
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
