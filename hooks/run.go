package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Target is the application that signal and wait-exit steps act on.
type Target interface {
	Signal(sig unix.Signal) (string, error) // says whom it signalled
	Exited() <-chan struct{}
}

// Starter starts an exec step's process. PID 1 reaps every child itself, so
// the wait function it returns must be the only wait for that process.
type Starter interface {
	Start(cmd *exec.Cmd) (wait func() unix.WaitStatus, err error)
}

// PlainStarter starts and waits with os/exec, for a process that is not a reaper.
type PlainStarter struct{}

// Start starts cmd; wait waits for it.
func (PlainStarter) Start(cmd *exec.Cmd) (func() unix.WaitStatus, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() unix.WaitStatus {
		_ = cmd.Wait()
		return unix.WaitStatus(cmd.ProcessState.Sys().(syscall.WaitStatus))
	}, nil
}

// Runner runs the steps of phases in this process and reports their progress.
type Runner struct {
	Target  Target
	Starter Starter
	Lookup  func(string) (string, bool) // nil means the environment
	Format  Format
	Emit    func(line string)
	// Output, when set, receives the lines of steps' output instead of
	// Emit, which then gets only the progress lines.
	Output func(line string)
	// StepStarted, when set, is told the number of each step as it starts.
	StepStarted func(n int)
	Now         func() time.Time // nil means time.Now
}

// Job is one run of a phase: its steps and its time.
type Job struct {
	Phase   Phase
	Steps   []Step
	Budget  time.Duration // 0: no bound
	Started time.Time     // the budget counts from here
}

// A PhaseRunner runs a job's steps, passing each line to emit as it comes
// (output says it is a step's output rather than a progress line), and
// returns nil when every required step succeeded, or a *PhaseError.
type PhaseRunner interface {
	RunSteps(ctx context.Context, job Job, emit func(line string, output bool)) error
}

// RunSteps runs job in this process.
func (r *Runner) RunSteps(ctx context.Context, job Job, emit func(line string, output bool)) error {
	run := *r
	run.Emit = func(line string) { emit(line, false) }
	run.Output = func(line string) { emit(line, true) }
	return run.RunPhase(ctx, job.Phase, job.Steps, job.Budget, job.Started)
}

// PhaseError says how a phase did not succeed.
type PhaseError struct {
	Phase Phase
	Step  int // 1-based
	Text  string
	Cut   bool // cut short by its budget or by its caller, not failed
	Err   error
}

func (e *PhaseError) Error() string {
	if e.Cut {
		return fmt.Sprintf("%s: cut short at step %d (%s)", e.Phase, e.Step, e.Text)
	}
	return fmt.Sprintf("%s: step %d (%s): %v", e.Phase, e.Step, e.Text, e.Err)
}

func (r *Runner) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Runner) lookup(name string) (string, bool) {
	if r.Lookup == nil {
		return environment(name)
	}
	return r.Lookup(name)
}

func (r *Runner) emit(e event) {
	switch {
	case e.kind == "output" && r.Output != nil:
		r.Output(e.format(r.Format))
	case r.Emit != nil:
		r.Emit(e.format(r.Format))
	}
}

// RunPhase runs steps in order. The phase began at started and may run for
// budget (0: no bound); a step runs until its own --timeout or the phase's end,
// whichever is first. A failed --optional step is a warning. ctx ending cuts
// the phase short. It returns nil when every required step succeeded.
func (r *Runner) RunPhase(ctx context.Context, phase Phase, steps []Step, budget time.Duration, started time.Time) error {
	if len(steps) == 0 {
		return nil // a phase nobody configured leaves no trace in the log
	}
	var deadline time.Time
	if budget > 0 {
		deadline = started.Add(budget)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	left := func() time.Duration {
		if deadline.IsZero() {
			return -1
		}
		return max(deadline.Sub(r.now()), 0)
	}
	summary := fmt.Sprintf("%d step(s)", len(steps))
	if budget > 0 {
		summary += fmt.Sprintf(", %s budget", round(budget))
	}
	r.emit(event{time: r.now(), phase: phase, kind: "start", text: summary, left: -1})
	var result error
	for i, s := range steps {
		e := event{phase: phase, step: i + 1, steps: len(steps), text: s.Redacted()}
		e.time, e.kind, e.left = r.now(), "start", -1
		r.emit(e)
		if r.StepStarted != nil {
			r.StepStarted(i + 1)
		}
		begin := r.now()
		detail, err, cut := r.runStep(ctx, phase, i+1, len(steps), s)
		e.time, e.took, e.left, e.detail = r.now(), r.now().Sub(begin), left(), detail
		switch {
		case cut:
			e.kind = "cut"
			if err != nil {
				e.detail = err.Error()
			}
			result = &PhaseError{Phase: phase, Step: i + 1, Text: s.Redacted(), Cut: true, Err: err}
		case err == nil:
			e.kind = "ok"
		case s.Optional:
			e.kind, e.detail = "warning", err.Error()
		default:
			e.kind, e.detail = "failed", err.Error()
			result = &PhaseError{Phase: phase, Step: i + 1, Text: s.Redacted(), Err: err}
		}
		r.emit(e)
		if result != nil {
			break
		}
	}
	end := event{time: r.now(), phase: phase, kind: "ok", took: r.now().Sub(started), left: left()}
	var pe *PhaseError
	if errors.As(result, &pe) {
		end.kind, end.detail = "failed", fmt.Sprintf("step %d", pe.Step)
		if pe.Cut {
			end.kind = "cut"
		}
	}
	r.emit(end)
	return result
}

// runStep runs one step. cut says its time was taken away by the phase's
// budget or its caller, rather than spent by the step's own --timeout.
func (r *Runner) runStep(phase context.Context, name Phase, n, total int, s Step) (detail string, err error, cut bool) {
	ctx := phase
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(phase, s.Timeout)
		defer cancel()
	}
	args := make([]string, len(s.Args))
	for i, a := range s.Args {
		if args[i], err = expand(a, r.lookup); err != nil {
			return "", err, false
		}
	}
	k, ok := kindOf(s.Kind)
	if !ok {
		return "", fmt.Errorf("unknown step %q", s.Kind), false
	}
	detail, err = k.run(r, ctx, s, args, func(line string) {
		r.emit(event{time: r.now(), phase: name, step: n, steps: total, kind: "output", text: line})
	})
	if err != nil && phase.Err() != nil {
		return detail, err, true
	}
	if err != nil && ctx.Err() != nil && s.Kind != "sleep" {
		err = fmt.Errorf("timed out after %s: %w", s.Timeout, err)
	}
	if s.Kind == "sleep" && errors.Is(err, context.DeadlineExceeded) && phase.Err() == nil {
		return "", nil, false // a sleep ended by its own --timeout has simply slept
	}
	return detail, err, false
}

func runSleep(_ *Runner, ctx context.Context, _ Step, args []string, _ func(string)) (string, error) {
	d, err := parseDuration("sleep", args[0])
	if err != nil {
		return "", err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return "", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func runSignal(r *Runner, _ context.Context, s Step, _ []string, _ func(string)) (string, error) {
	if r.Target == nil {
		return "", errors.New("no application to signal")
	}
	sig, err := s.signal(r.lookup)
	if err != nil {
		return "", err
	}
	return r.Target.Signal(sig)
}

func runWaitExit(r *Runner, ctx context.Context, _ Step, _ []string, _ func(string)) (string, error) {
	if r.Target == nil {
		return "", errors.New("no application to wait for")
	}
	select {
	case <-r.Target.Exited(): // gone already, whatever ctx says
		return "app exited", nil
	default:
	}
	select {
	case <-r.Target.Exited():
		return "app exited", nil
	case <-ctx.Done():
		return "", fmt.Errorf("app still running: %w", ctx.Err())
	}
}

// runExec runs a command in a process group of its own, its output prefixed
// into the log line by line, and kills the group when the step's time is up.
// A process the command leaves behind (a daemon it started in a session of
// its own) may hold the output pipe open long after: the step reads on for
// at most outputWaitDelay once the command has exited or been killed, so it
// ends on time whatever its leftovers do.
func runExec(r *Runner, ctx context.Context, _ Step, args []string, output func(string)) (string, error) {
	path, err := exec.LookPath(args[0])
	if err != nil {
		return "", err
	}
	out := &lineWriter{emit: output}
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = os.Environ()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = outputWaitDelay
	starter := r.Starter
	if starter == nil {
		starter = PlainStarter{}
	}
	wait, err := starter.Start(cmd)
	if err != nil {
		return "", err
	}
	done := make(chan unix.WaitStatus, 1)
	go func() { done <- wait() }()
	var ws unix.WaitStatus
	select {
	case ws = <-done:
	case <-ctx.Done():
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		<-done
		out.flush()
		return "", fmt.Errorf("killed: %w", ctx.Err())
	}
	out.flush()
	switch {
	case ws.Signaled():
		return "", fmt.Errorf("killed by signal %d", ws.Signal())
	case ws.ExitStatus() != 0:
		return "", fmt.Errorf("exit code %d", ws.ExitStatus())
	}
	return "exit code 0", nil
}

// outputWaitDelay is how long an exec step's output is still read after its
// command has exited or been killed.
const outputWaitDelay = 200 * time.Millisecond

// MaxOutputLine is the longest line of a step's output that reaches the log;
// the rest of a longer line is dropped and outputCutMarker takes its place.
const MaxOutputLine = 4 << 10

const outputCutMarker = " [line cut at 4096 bytes]"

// lineWriter passes complete lines of a command's output to emit, each cut
// at MaxOutputLine, so it never holds more than one such line however long
// the command's lines are.
type lineWriter struct {
	emit func(string)
	buf  []byte
	cut  bool // the line in buf was cut: drop the rest, up to its newline
	mu   sync.Mutex
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !w.cut {
			room := MaxOutputLine - len(w.buf)
			if len(chunk) > room {
				w.buf = append(w.buf, cut(string(chunk), room)...)
				w.buf = append(w.buf, outputCutMarker...)
				w.cut = true
			} else {
				w.buf = append(w.buf, chunk...)
			}
		}
		if i < 0 {
			break
		}
		w.emit(string(w.buf))
		w.buf, w.cut = w.buf[:0], false
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf, w.cut = nil, false
	}
}
