package main

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Phases run in a process of their own (podinit re-executed), so a fault
// inside one ends the phase, reported, and never PID 1. PODINIT_TEST_FAULT
// makes the phase process fail as real faults do, at its first step.

func TestAFaultInsidePrestopEndsThePhaseNotPID1(t *testing.T) {
	for _, tc := range []struct {
		fault, want string
	}{
		{"panic", "the phase process crashed (exit status 2): panic: PODINIT_TEST_FAULT: a panic inside the prestop phase"},
		{"fatal", "the phase process crashed (exit status 2): fatal error: sync: unlock of unlocked mutex"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			p := start(t, options{pid1: true, env: []string{"PODINIT_TEST_FAULT=prestop:" + tc.fault}},
				append([]string{"--prestop", "sleep 10s", "--"}, helper("stamp-signals")...)...)
			p.expect("ready")
			p.signal(unix.SIGTERM)
			// The stop goes on: the app gets its SIGTERM and exits 0,
			// which is podinit's exit code.
			p.expectPrefix("got 15")
			p.expectExit(0)
			out := p.stdout.String()
			wantAll(t, "log", out, "prestop 1/1 failed", tc.want, "prestop failed")
		})
	}
}

// A step that ignores its deadline, as a hung TLS handshake can, is killed
// with its phase process once the phase's budget is spent, and the app still
// gets the time it was promised.
func TestAHungPhaseProcessIsKilledAtItsBudget(t *testing.T) {
	p := start(t, options{pid1: true, env: []string{"PODINIT_TEST_FAULT=prestop:hang"}},
		append([]string{"--grace-period", "5s", "--stop-timeout", "3s", "--prestop", "sleep 10s", "--"},
			helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
	out := p.stdout.String()
	wantAll(t, "log", out, "the phase process was still running 1s past its budget of 2s: killed", "prestop failed")
}

// A poststart whose process crashes fails the container, as a failed
// required step does: PID 1 stops the app and exits 1.
func TestACrashedPoststartFailsTheContainer(t *testing.T) {
	p := start(t, options{pid1: true, env: []string{"PODINIT_TEST_FAULT=poststart:panic"}},
		append([]string{"--poststart", "sleep 1ms", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	p.expectPrefix("got 15")
	p.expectExit(1)
	out := p.stdout.String()
	wantAll(t, "log", out, "panic: PODINIT_TEST_FAULT", "poststart failed: stopping the app with SIGTERM")
	if strings.Contains(out, "received SIGTERM") {
		t.Errorf("log says a SIGTERM was received, though none was sent:\n%s", out)
	}
}

// The phase runs outside PID 1: the process that runs its steps is a child
// of PID 1 named for its phase.
func TestPhasesRunInAChildProcessOfPID1(t *testing.T) {
	step := `exec sh -c 'echo "parent $PPID"; tr "\0" " " < /proc/$PPID/cmdline; echo; echo "grandparent $(cut -d" " -f4 /proc/$PPID/stat)"'`
	p := start(t, asPID1, append([]string{"--prestop", step, "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
	out := p.stdout.String()
	if strings.Contains(out, "| parent 1\n") {
		t.Fatalf("the exec step's parent is PID 1: the step ran inside PID 1's process:\n%s", out)
	}
	wantAll(t, "log", out, "| podinit _phase prestop", "| grandparent 1")
}

// wantAll fails t for each of wants that text (what, e.g. "log") lacks.
func wantAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}
