package hooks

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The ProcessRunner tests run this test binary as the phase process, as PID
// 1 runs podinit re-executed.

const phaseProcessEnv = "HOOKS_TEST_PHASE_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(phaseProcessEnv) == "1" {
		os.Exit(RunPhaseProcess())
	}
	if addr := os.Getenv(squatEnv); addr != "" {
		os.Exit(squat(addr))
	}
	os.Exit(m.Run())
}

func phaseProcessRunner(t *testing.T, target Target, env ...string) *ProcessRunner {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &ProcessRunner{Target: target, Command: func(Phase) *exec.Cmd {
		cmd := exec.Command(self)
		// Under -race a process lingers a second at exit unless told not to.
		cmd.Env = append(append(os.Environ(), phaseProcessEnv+"=1", "GORACE=atexit_sleep_ms=0"), env...)
		return cmd
	}}
}

// app is an application that a phase process's steps act on through PID 1.
type app struct {
	mu     sync.Mutex
	got    []unix.Signal
	exited chan struct{}
}

func (a *app) Signal(sig unix.Signal) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, sig)
	if sig == unix.SIGTERM {
		close(a.exited)
	}
	return "sent " + sig.String() + " to the app", nil
}

func (a *app) Exited() <-chan struct{} { return a.exited }

type collected struct {
	mu            sync.Mutex
	lines, output []string
	watch         string        // closes seen when a line contains it
	seen          chan struct{} // made by the test that sets watch
}

func (c *collected) emit(line string, output bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch != "" && strings.Contains(line, c.watch) {
		close(c.seen)
		c.watch = ""
	}
	if output {
		c.output = append(c.output, line)
	} else {
		c.lines = append(c.lines, line)
	}
}

func (c *collected) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(append(append([]string{}, c.lines...), c.output...), "\n")
}

func job(t *testing.T, phase Phase, budget time.Duration, steps ...string) Job {
	j := Job{Phase: phase, Budget: budget, Started: time.Now()}
	for _, s := range steps {
		j.Steps = append(j.Steps, mustStep(t, s))
	}
	return j
}

func TestPhaseProcessSignalsTheAppThroughPID1AndLearnsItExited(t *testing.T) {
	a := &app{exited: make(chan struct{})}
	var c collected
	err := phaseProcessRunner(t, a).RunSteps(context.Background(),
		job(t, Prestop, 0, "signal TERM", "wait-exit", "exec echo after"), c.emit)
	if err != nil {
		t.Fatalf("RunSteps = %v\n%s", err, c.all())
	}
	if len(a.got) != 1 || a.got[0] != unix.SIGTERM {
		t.Errorf("the app got %v, want [SIGTERM]", a.got)
	}
	all := c.all()
	for _, want := range []string{"prestop 1/3 ok in", "(sent terminated to the app)", "prestop 2/3 ok in", "(app exited)", "prestop 3/3 | after", "podinit prestop ok in"} {
		if !strings.Contains(all, want) {
			t.Errorf("lines lack %q:\n%s", want, all)
		}
	}
}

func TestPhaseProcessIsCutShortByItsCaller(t *testing.T) {
	c := collected{watch: "sleep 1m ...", seen: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-c.seen
		cancel()
	}()
	err := phaseProcessRunner(t, nil).RunSteps(ctx, job(t, Prestop, 0, "sleep 1m"), c.emit)
	var pe *PhaseError
	if !errors.As(err, &pe) || !pe.Cut || pe.Step != 1 {
		t.Fatalf("RunSteps = %v, want step 1 cut short\n%s", err, c.all())
	}
}

func TestPhaseProcessFaultsEndThePhase(t *testing.T) {
	for _, tc := range []struct {
		fault  string
		budget time.Duration
		want   string
	}{
		{"panic", 0, "the phase process crashed (exit status 2): panic: PODINIT_TEST_FAULT"},
		{"fatal", 0, "fatal error: sync: unlock of unlocked mutex"},
		{"hang", 100 * time.Millisecond, "the phase process was still running 1s past its budget of 100ms: killed"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			var c collected
			err := phaseProcessRunner(t, nil, "PODINIT_TEST_FAULT=poststop:"+tc.fault).RunSteps(context.Background(),
				job(t, Poststop, tc.budget, "sleep 1ms", "sleep 1ms"), c.emit)
			var pe *PhaseError
			if !errors.As(err, &pe) || pe.Step != 1 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("RunSteps = %v, want step 1 failed with %q", err, tc.want)
			}
			// The log closes the step and the phase, as a phase that ran
			// to its end would.
			all := c.all()
			for _, want := range []string{"poststop 1/2 failed in", "podinit poststop failed in"} {
				if !strings.Contains(all, want) {
					t.Errorf("lines lack %q:\n%s", want, all)
				}
			}
		})
	}
}

// A step that floods its output reaches the log whole, line by line, but
// the run keeps only a bounded part of it for the hooks that follow it.
func TestARunKeepsABoundedPartOfAFlood(t *testing.T) {
	logged := 0
	var mu sync.Mutex
	plan := NewPlan(30*time.Second, 0)
	if err := plan.Add(Poststop, "exec sh -c 'seq 1 60000'"); err != nil {
		t.Fatal(err)
	}
	lc := &Lifecycle{Plan: plan, Runner: phaseProcessRunner(t, nil), Emit: func(line string) {
		mu.Lock()
		logged += len(line)
		mu.Unlock()
	}}
	run, _ := lc.Start(Poststop, "podinit")
	<-run.Done()
	if err := run.Err(); err != nil {
		t.Fatal(err)
	}
	kept := 0
	_ = run.Follow(context.Background(), func(line string) error { kept += len(line); return nil })
	if kept > maxKeptOutput+4096 {
		t.Errorf("the run kept %d bytes, more than its bound of %d and its progress lines", kept, maxKeptOutput)
	}
	if logged < 4*maxKeptOutput {
		t.Errorf("the log got %d bytes of the flood, want far more than the run keeps", logged)
	}
}
