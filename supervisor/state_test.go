package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every pair of states: the moves the app's life can make are taken, every
// other is refused with a TransitionError and leaves the state as it was.
func TestTransitions(t *testing.T) {
	allowed := map[[2]state]bool{
		{starting, running}: true, {starting, finished}: true,
		{running, prestopping}: true, {running, signalled}: true, {running, exited}: true,
		{prestopping, signalled}: true, {prestopping, exited}: true,
		{signalled, exited}: true,
		{exited, leftovers}: true, {exited, finished}: true,
		{leftovers, finished}: true,
	}
	for from := starting; from <= finished; from++ {
		for to := starting; to <= finished; to++ {
			s := from
			err := s.transition(to)
			if allowed[[2]state{from, to}] {
				if err != nil || s != to {
					t.Errorf("%s → %s: %v, state %s; want the move made", from, to, err, s)
				}
				continue
			}
			var te *TransitionError
			if !errors.As(err, &te) || te.From != from || te.To != to || s != from {
				t.Errorf("%s → %s: %v, state %s; want it refused", from, to, err, s)
			}
		}
	}
}

// recorder runs a supervision of argv and records the loop's moves and the
// events it reported.
type recorder struct {
	mu     sync.Mutex
	moves  []state
	events []EventKind
}

// supervise runs the supervision; spawned is closed once the app runs.
func (r *recorder) supervise(t *testing.T, cfg Config) (s *Supervisor, spawned <-chan struct{}, wait func() int) {
	t.Helper()
	started := make(chan struct{})
	cfg.Events = func(e Event) {
		r.mu.Lock()
		r.events = append(r.events, e.Kind)
		r.mu.Unlock()
		if e.Kind == Spawned {
			close(started)
		}
		if e.Kind == Refused {
			t.Errorf("the loop refused a move: %v", e.Err)
		}
	}
	cfg.Subreaper = true
	s = New(cfg)
	s.l.observe = func(_, to state) {
		r.mu.Lock()
		r.moves = append(r.moves, to)
		r.mu.Unlock()
	}
	done := make(chan int, 1)
	go func() {
		code, err := s.Run()
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- code
	}()
	return s, started, func() int {
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("the supervision did not end")
			return 0
		}
	}
}

func (r *recorder) wantMoves(t *testing.T, want ...state) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(r.moves, want) {
		t.Errorf("moves %v, want %v", r.moves, want)
	}
}

// These run the loop in the test process (a subreaper, not PID 1) with
// real children: the same loop the black-box tests drive, its moves seen
// one by one.

func TestAnAppThatExitsByItself(t *testing.T) {
	var r recorder
	_, _, wait := r.supervise(t, Config{Argv: []string{"sh", "-c", "exit 3"}})
	if code := wait(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	r.wantMoves(t, running, exited, finished)
}

func TestAStopWithoutBeforeStop(t *testing.T) {
	var r recorder
	s, spawned, wait := r.supervise(t, Config{Argv: []string{"sleep", "60"}})
	<-spawned
	s.Stop("a test")
	if code := wait(); code != 128+int(unix.SIGTERM) {
		t.Errorf("exit code %d, want %d", code, 128+int(unix.SIGTERM))
	}
	r.wantMoves(t, running, signalled, exited, finished)
}

func TestAnAppThatExitsDuringBeforeStopGetsNoStopSignal(t *testing.T) {
	var r recorder
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var s *Supervisor
	cfg := Config{Argv: []string{"sh", "-c", "read line < " + fifo + "; exit 4"},
		BeforeStop: func(ctx context.Context, cause string) time.Time {
			// Opening the FIFO waits for the app to open it; closing it
			// gives the app end of file, and it exits.
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.Close()
			}
			<-s.Exited()
			return time.Now()
		}}
	s, spawned, wait := r.supervise(t, cfg)
	<-spawned
	s.Stop("a test")
	if code := wait(); code != 4 {
		t.Errorf("exit code %d, want 4", code)
	}
	r.wantMoves(t, running, prestopping, exited, finished)
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.events, Forwarded) {
		t.Errorf("events %v: a stop signal was forwarded to an app that had exited", r.events)
	}
}

func TestLeftoversAreSignalledOnceTheAppHasExited(t *testing.T) {
	var r recorder
	_, _, wait := r.supervise(t, Config{Argv: []string{"sh", "-c", "sleep 60 & exit 0"}, LeftoverTimeout: 5 * time.Second})
	if code := wait(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	r.wantMoves(t, running, exited, leftovers, finished)
}
