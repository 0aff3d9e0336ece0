package supervisor

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// EventKind says what happened. The supervisor reports events and leaves their
// wording to the caller, which speaks as podinit, tini or dumb-init.
type EventKind int

const (
	// Subreaper: podinit is not PID 1 and registered as a child subreaper.
	Subreaper EventKind = iota
	// NotReaping: podinit is neither PID 1 nor a subreaper, so orphans escape it.
	NotReaping
	// SubreaperRefused: podinit is not PID 1 and the kernel refused to make
	// it a child subreaper (Err says why), so orphans escape it.
	SubreaperRefused
	// TerminalDetached: podinit gave up its controlling terminal for the
	// application's new session (Err is set when that failed).
	TerminalDetached
	// Spawned: the application started as PID.
	Spawned
	// Received: a signal arrived (every one, SIGCHLD included) From a sender.
	Received
	// Forwarded: Signal arrived and Sent went to PID (negative: a process group).
	Forwarded
	// Dropped: Signal arrived and was rewritten to nothing.
	Dropped
	// Stopping: the stop sequence begins, on the first stop signal, or
	// with Signal chosen by podinit for Reason when Reason is set.
	Stopping
	// Escalated: the application outlived StopTimeout and gets SIGKILL.
	Escalated
	// Reaped: a process other than the application was reaped.
	Reaped
	// AppExited: the application ended with Status; Code is podinit's exit code.
	AppExited
	// LeftoversSignalled: Count processes outlived the application and got Sent.
	LeftoversSignalled
	// SignalsLost: Count signals were lost because the intake was full.
	SignalsLost
	// Refused: the loop refused a move its state machine does not allow
	// (Err says which); it goes on as it was.
	Refused
)

// Event is one thing the supervisor reports.
type Event struct {
	Kind   EventKind
	PID    int
	Signal unix.Signal
	Sent   unix.Signal
	Status unix.WaitStatus
	Code   int
	Count  int
	Argv   []string
	After  time.Duration  // for Escalated: how long the application had
	Reason string         // for Stopping: why podinit stops the app itself
	From   signals.Sender // for Received: who sent the signal
	Err    error
}
