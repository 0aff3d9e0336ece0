package supervisor

import "fmt"

// state is where a supervision is in the application's life. The loop's
// goroutine alone reads and changes it, through transition, which refuses a
// move the life cannot make, so the loop's decisions read as "in this state,
// on this event" rather than as a combination of flags.
//
// The life runs starting → running → prestopping → signalled → exited →
// leftovers → finished; the moves table below is the whole of it. A stop
// that has no BeforeStop goes from running straight to signalled; an app
// that exits before its stop signal skips what is left of the stop; a start
// that fails goes from starting to finished; an app that leaves nothing
// behind, or whose leftovers are abandoned, goes from exited to finished.
//
// Two things are kept beside the state because they are not stages: holds,
// the work beside the loop that must end before leftovers are signalled,
// and the queue of posted work, which is closed only once finished and empty.
type state int

const (
	// starting: BeforeStart runs, or the app is being spawned; nothing to
	// forward to yet.
	starting state = iota
	// running: the app runs and no stop has begun.
	running
	// prestopping: a stop began and BeforeStop runs; the stop signal
	// waits for it.
	prestopping
	// signalled: the app got its stop signal; SIGKILL follows at the stop
	// timeout.
	signalled
	// exited: the app has exited (its status is kept); what it left
	// behind is still reaped.
	exited
	// leftovers: processes the app left behind got SIGTERM, and SIGKILL
	// follows at the leftover timeout.
	leftovers
	// finished: Run's result is decided; the loop ends once its queue is empty.
	finished
)

var stateNames = [...]string{"starting", "running", "prestopping", "signalled", "exited", "leftovers", "finished"}

func (s state) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// moves lists, for each state, the states it may move to.
var moves = map[state][]state{
	starting:    {running, finished},
	running:     {prestopping, signalled, exited},
	prestopping: {signalled, exited},
	signalled:   {exited},
	exited:      {leftovers, finished},
	leftovers:   {finished},
	finished:    {},
}

// TransitionError is a move the application's life cannot make.
type TransitionError struct{ From, To state }

func (e *TransitionError) Error() string {
	return fmt.Sprintf("supervisor: no move from %s to %s", e.From, e.To)
}

// transition moves s to to, or refuses and leaves s as it is.
func (s *state) transition(to state) error {
	for _, ok := range moves[*s] {
		if ok == to {
			*s = to
			return nil
		}
	}
	return &TransitionError{From: *s, To: to}
}

// appRunning reports whether the app runs: spawned and not yet exited.
func (s state) appRunning() bool { return s >= running && s <= signalled }

// appGone reports whether the app has exited (and its status is kept).
func (s state) appGone() bool { return s >= exited }
