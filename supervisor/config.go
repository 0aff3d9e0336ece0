package supervisor

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
	"github.com/podinit/podinit/stopbudget"
)

// Session says where the application lives relative to podinit's own
// session and process group, which decides who a terminal's Ctrl-C reaches.
type Session int

const (
	// NewSession runs the application as the leader of its own session and
	// hands it the terminal, as dumb-init does: a shell gets job control.
	NewSession Session = iota
	// NewGroup runs the application in its own process group of podinit's
	// session and makes that group the terminal's foreground, as tini does.
	NewGroup
	// SameGroup leaves the application in podinit's process group, as
	// dumb-init --single-child does.
	SameGroup
)

// Leftovers says what happens to processes still alive when the application exits.
type Leftovers int

const (
	// TermThenKill sends them SIGTERM, then SIGKILL after LeftoverTimeout,
	// and reaps them all before Run returns.
	TermThenKill Leftovers = iota
	// TermGroup sends SIGTERM (rewritten) to the application's process group
	// and returns at once, as dumb-init does.
	TermGroup
	// Abandon returns at once, as tini does; as PID 1, the kernel then kills
	// whatever is left in the namespace.
	Abandon
)

// Config is everything the supervisor needs; the zero value of each field is
// a sensible default except Argv.
type Config struct {
	Argv []string // the application and its arguments; Argv[0] is looked up in PATH
	Env  []string // nil means podinit's own environment
	Dir  string   // the application's working directory; "" means podinit's

	Session Session
	// SignalGroup forwards to the application's whole process group rather
	// than to the application alone. It has no effect with SameGroup.
	SignalGroup bool
	Rewrite     signals.Rewrite
	// StopSignals start the stop sequence; nil means SIGTERM and SIGINT.
	StopSignals []unix.Signal
	// GracePeriod bounds the whole stop, counted from the first stop
	// signal: BeforeStop and the application's exit together. 0: no bound.
	GracePeriod time.Duration
	// StopTimeout is how long the application has after its stop signal
	// before podinit sends SIGKILL to its process group. 0 means what is
	// left of GracePeriod, as package stopbudget decides.
	StopTimeout time.Duration
	// BeforeStart, when set, runs before the application starts, beside
	// the loop (so its processes are reaped); the application starts only
	// when it returns nil. A stop signal meanwhile cancels its context.
	BeforeStart func(ctx context.Context) error
	// AfterStart, when set, is called in a goroutine of its own once the
	// application has started.
	AfterStart func()
	// BeforeStop, when set, runs before the first stop signal is forwarded,
	// beside the loop, so reaping and forwarding go on meanwhile; a second
	// stop signal cancels its context and the stop goes on. It returns when
	// the stop began, which may be before the signal (a hook began it): the
	// grace period counts from then.
	// cause says what began the stop: "signal", or the reason given to
	// Supervisor.Stop.
	BeforeStop func(ctx context.Context, cause string) time.Time

	RemapExit signals.ExitRemap

	// Subreaper registers podinit as a child subreaper when it is not PID 1,
	// so orphans of the application are re-parented to it and reaped.
	Subreaper    bool
	PdeathSignal unix.Signal

	Leftovers       Leftovers
	LeftoverTimeout time.Duration // 0 means 5 seconds

	// SuspendWithApp stops podinit itself after forwarding TSTP, TTIN or TTOU,
	// so that a shell which started podinit sees the job stop (dumb-init does this).
	SuspendWithApp bool
	// IgnoreTTYSignals makes podinit ignore TTIN and TTOU rather than forward
	// them, as tini does: it may no longer own the terminal it writes to.
	IgnoreTTYSignals bool

	// Events receives what happens, synchronously, from the loop's goroutine.
	Events func(Event)
}

func (c *Config) stopSignals() []unix.Signal {
	if c.StopSignals == nil {
		return []unix.Signal{unix.SIGTERM, unix.SIGINT}
	}
	return c.StopSignals
}

// stopTimeout is how long the application gets after its stop signal when
// the stop began at started; 0 means it is never killed.
func (c *Config) stopTimeout(started time.Time) time.Duration {
	return stopbudget.Budget{GracePeriod: c.GracePeriod, StopTimeout: c.StopTimeout}.AppStop(time.Since(started))
}

func (c *Config) leftoverTimeout() time.Duration {
	if c.LeftoverTimeout <= 0 {
		return 5 * time.Second
	}
	return c.LeftoverTimeout
}
