package hooks

import (
	"context"
	"sync"
	"time"
)

// Lifecycle runs each phase of a plan at most once and lets any number of
// callers follow a run: the first trigger starts it, later ones join it.
type Lifecycle struct {
	Plan *Plan
	// Runner runs a phase's steps: a *Runner runs them in this process, a
	// *ProcessRunner in a child process of their own, as PID 1 does.
	Runner PhaseRunner
	// Emit, when set, receives every line of every run as it comes, for
	// the container's log.
	Emit func(line string)

	mu      sync.Mutex
	runs    map[Phase]*Run
	started map[Phase]chan struct{} // closed when the phase starts
}

// Run is one run of a phase, followed by whoever triggered or joined it.
type Run struct {
	Phase   Phase
	Started time.Time
	By      string // what started it: "hook", "signal", "podinit"
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced whenever a line is added
	err     error
	// outputKept counts the bytes of steps' output lines kept in lines. A
	// run keeps at most maxKeptOutput of them for the hooks that follow it,
	// so a step that floods its output costs PID 1 no memory; its progress
	// lines are always kept, and every line still reaches Emit.
	outputKept int
}

// maxKeptOutput bounds the output lines a run keeps for its followers.
const maxKeptOutput = 64 << 10

// Start starts phase, or returns its run when it has already started; the
// caller learns which from started.
func (l *Lifecycle) Start(phase Phase, by string) (run *Run, started bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.runs[phase]; ok {
		return r, false
	}
	if l.runs == nil {
		l.runs = map[Phase]*Run{}
	}
	close(l.startedChan(phase))
	ctx, cancel := context.WithCancel(context.Background())
	r := &Run{Phase: phase, Started: time.Now(), By: by, cancel: cancel,
		done: make(chan struct{}), changed: make(chan struct{})}
	l.runs[phase] = r
	job := Job{Phase: phase, Steps: l.Plan.Steps[phase], Budget: l.Plan.Budget(phase), Started: r.Started}
	go func() {
		err := l.Runner.RunSteps(ctx, job, func(line string, output bool) {
			if l.Emit != nil {
				l.Emit(line)
			}
			r.add(line, output)
		})
		r.finish(err)
		cancel()
	}()
	return r, true
}

// startedChan is the channel closed when phase starts; l.mu must be held.
func (l *Lifecycle) startedChan(phase Phase) chan struct{} {
	if l.started == nil {
		l.started = map[Phase]chan struct{}{}
	}
	ch, ok := l.started[phase]
	if !ok {
		ch = make(chan struct{})
		l.started[phase] = ch
	}
	return ch
}

// Await waits until phase has started, by whatever trigger, and returns its
// run: a hook for poststart may come before PID 1 has started the app.
func (l *Lifecycle) Await(ctx context.Context, phase Phase) (*Run, error) {
	l.mu.Lock()
	ch := l.startedChan(phase)
	l.mu.Unlock()
	select {
	case <-ch:
		r, _ := l.Started(phase)
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Started reports the run of phase, if it has started.
func (l *Lifecycle) Started(phase Phase) (*Run, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.runs[phase]
	return r, ok
}

func (r *Run) add(line string, output bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if output {
		if r.outputKept+len(line) > maxKeptOutput {
			return
		}
		r.outputKept += len(line)
	}
	r.lines = append(r.lines, line)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Run) finish(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
	close(r.done)
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// CutShort ends the run's current step and skips the rest.
func (r *Run) CutShort() { r.cancel() }

// Done is closed when the run has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

// Err is the run's result once Done is closed: nil when it succeeded.
func (r *Run) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Follow passes every line of the run to fn, from its first, until the run
// ends or ctx does, and returns the run's result (or ctx's error).
func (r *Run) Follow(ctx context.Context, fn func(line string) error) error {
	next := 0
	for {
		r.mu.Lock()
		lines := r.lines[next:]
		next = len(r.lines)
		changed := r.changed
		r.mu.Unlock()
		for _, line := range lines {
			if err := fn(line); err != nil {
				return err
			}
		}
		select {
		case <-r.done:
			r.mu.Lock()
			rest := r.lines[next:]
			r.mu.Unlock()
			for _, line := range rest {
				if err := fn(line); err != nil {
					return err
				}
			}
			return r.Err()
		default:
		}
		select {
		case <-changed:
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
