// Package stopbudget decides how a container's stop shares its time: the
// grace period (the pod's terminationGracePeriodSeconds, after which the
// runtime kills everything) between prestop, the app's own stop and
// poststop. The supervisor, the phases and `podinit plan` all ask it, so
// there is one answer.
//
// The rule, for a grace period G and the app's time after its stop signal R
// (--stop-timeout, or by default half of G but at most 10 s):
//
//   - Prestop may use G − R, and never less than MinPrestop (or G/2 for a
//     grace period under 2 s), so that a grace period R fills still gives
//     prestop a small, bounded budget rather than none or an unbounded one.
//   - The app then has what is left of G since the stop began, never less
//     than MinAppStop; --stop-timeout gives it exactly R instead.
//   - Poststop gets R: by then the runtime's SIGKILL is near.
//   - G = 0 means no grace period: nothing is bounded by it (a step's own
//     --timeout still is), and the app is never killed unless --stop-timeout
//     says when.
package stopbudget

import (
	"fmt"
	"time"
)

const (
	// MaxDefaultReserve is the most the app is given after its stop signal
	// by default: docker stop's 10 s.
	MaxDefaultReserve = 10 * time.Second
	// MinPrestop is the least prestop gets when the grace period leaves it
	// nothing: time to deregister from a registry, not to drain.
	MinPrestop = 2 * time.Second
	// MinAppStop is the least the app gets after its stop signal when the
	// grace period is nearly spent, as kubelet gives at least 2 s.
	MinAppStop = 2 * time.Second
)

// Budget is one container's stop budget.
type Budget struct {
	GracePeriod time.Duration // 0: none
	StopTimeout time.Duration // 0: the default share of the grace period
}

// Bounded reports whether a grace period bounds the stop.
func (b Budget) Bounded() bool { return b.GracePeriod > 0 }

// Reserve is the app's planned time after its stop signal.
func (b Budget) Reserve() time.Duration {
	if b.StopTimeout > 0 || !b.Bounded() {
		return b.StopTimeout
	}
	return min(b.GracePeriod/2, MaxDefaultReserve)
}

// Prestop is how long the prestop phase may run: positive whenever a grace
// period is set, 0 (no bound of its own) only without one.
func (b Budget) Prestop() time.Duration {
	if !b.Bounded() {
		return 0
	}
	floor := min(MinPrestop, b.GracePeriod/2)
	return max(b.GracePeriod-b.Reserve(), floor)
}

// Poststop is how long the poststop phase may run; 0 means no bound of its own.
func (b Budget) Poststop() time.Duration { return b.Reserve() }

// AppStop is how long the app has after its stop signal when the stop began
// elapsed ago; 0 means it is never killed.
func (b Budget) AppStop(elapsed time.Duration) time.Duration {
	if b.StopTimeout > 0 || !b.Bounded() {
		return b.StopTimeout
	}
	return max(b.GracePeriod-elapsed, MinAppStop)
}

// Describe says in words what each part gets, for `podinit plan` and the log.
func (b Budget) Describe() string {
	if !b.Bounded() {
		if b.StopTimeout > 0 {
			return fmt.Sprintf("no grace period: prestop has no budget of its own, the app has %s after its stop signal", b.StopTimeout)
		}
		return "no grace period: prestop has no budget of its own and the app is never killed"
	}
	app := fmt.Sprintf("the rest of the grace period (at least %s)", max(b.Reserve(), MinAppStop))
	if b.StopTimeout > 0 {
		app = b.StopTimeout.String()
	}
	return fmt.Sprintf("grace period %s: prestop gets up to %s, then the app %s after its stop signal, then poststop up to %s",
		b.GracePeriod, b.Prestop(), app, b.Poststop())
}

// Overcommitted reports whether the parts promised add up to more than the
// grace period, which happens only when --stop-timeout leaves prestop less
// than its floor: the runtime may then kill the app before its time is up.
func (b Budget) Overcommitted() bool {
	return b.Bounded() && b.Prestop()+b.Reserve() > b.GracePeriod
}
