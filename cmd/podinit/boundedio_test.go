package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// What a step, a file or a process hands podinit is bounded at every edge:
// an exec step ends at its --timeout whoever holds its output, its lines are
// cut at 4096 bytes, and output of any size costs PID 1 nothing.

// holderArg is an argument no other process has: the test finds the
// process that holds a step's output pipe by it, from outside the
// container's PID namespace.
func holderArg(t *testing.T) string {
	return strconv.Itoa(900000 + os.Getpid()%1000*100 + len(t.Name()))
}

// sleeperAlive tells whether a `sleep ARG` process exists.
func sleeperAlive(arg string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Equal(b, []byte("sleep\x00"+arg+"\x00")) {
			return true
		}
	}
	return false
}

func TestAnExecStepEndsWhileItsLeftoverHoldsItsOutput(t *testing.T) {
	for _, tc := range []struct {
		name, step, want string
	}{
		// The command exits at once; a daemon it started in a session of
		// its own keeps the step's output pipe open.
		{"exited", "exec sh -c 'setsid sleep %s & echo started'", "prestop 1/1 ok in"},
		// The command outlives its --timeout: its process group is killed,
		// which the daemon has left.
		{"timed out", "exec --timeout 1s sh -c 'setsid sleep %s & echo started; sleep 1000'", "(timed out after 1s: killed: context deadline exceeded)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arg := holderArg(t)
			// The app stays after its SIGTERM, until the test closes its
			// standard input, so no leftover is signalled before the check.
			p := start(t, asPID1, append([]string{"--prestop", fmt.Sprintf(tc.step, arg), "--"}, helper("record-signals")...)...)
			p.expectPrefix("ready")
			p.signal(unix.SIGTERM)
			p.expect("app got 15")
			// The step ended, and the app got its signal, while the
			// process holding the step's output still runs.
			if !sleeperAlive(arg) {
				t.Fatalf("the process holding the step's output is gone before the step ended:\n%s", p.stdout)
			}
			p.expectExit(0)
			out := p.stdout.String()
			wantAll(t, "log", out, "prestop 1/1 | started", tc.want, "podinit prestop")
			if strings.Contains(out, "the phase process was") {
				t.Errorf("the step overran its time and its phase process was killed:\n%s", out)
			}
		})
	}
}

// A 100 KB line of output is cut at 4096 bytes, marked, in the log and in
// the hook's output, and the hook reports the phase's success.
func TestALongOutputLineIsCutAndTheHookSucceeds(t *testing.T) {
	step := `exec sh -c 'head -c 102400 /dev/zero | tr "\0" x; echo; echo after'`
	p := start(t, asPID1, append([]string{"--prestop", step, "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	code, hookOut, hookErr := p.hook(t, "", "prestop")
	if code != 0 {
		t.Fatalf("hook prestop exited %d, want 0: %s\n%s", code, hookErr, hookOut)
	}
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
	for what, text := range map[string]string{"log": p.stdout.String(), "hook output": hookOut} {
		wantAll(t, what, text, "prestop 1/1 | "+strings.Repeat("x", 4096)+" [line cut at 4096 bytes]\n", "prestop 1/1 | after", "prestop 1/1 ok in")
		if strings.Contains(text, strings.Repeat("x", 4097)) {
			t.Errorf("%s holds more than 4096 bytes of the line", what)
		}
	}
}

// 20 MB of output, in one line and in short lines, reaches the log line by
// line and costs PID 1 no more than its garbage collector's slack: far less
// than the output, which PID 1 never holds.
func TestTwentyMegabytesOfOutputCostPID1Nothing(t *testing.T) {
	step := `exec sh -c 'head -c 20000000 /dev/zero | tr "\0" y; echo; head -c 20000000 /dev/zero | tr "\0" z | fold -w 1000; echo; echo done'`
	p := start(t, asPID1, append([]string{"--prestop", step, "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	before := peakRSS(t, p.podinitPID())
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	after := peakRSS(t, p.podinitPID())
	p.expectExit(0)
	out := p.stdout.String()
	wantAll(t, "log", out, "prestop 1/1 | yyyy", "[line cut at 4096 bytes]", "prestop 1/1 | done", "prestop 1/1 ok in")
	// A log reader slower than the step loses lines, counted: every line
	// of z is in the log or in a count of dropped lines.
	dropped := 0
	for _, line := range strings.Split(out+p.stderr.String(), "\n") {
		var n int
		if i := strings.Index(line, "podinit "); i >= 0 {
			if _, err := fmt.Sscanf(line[i:], "podinit %d log lines dropped", &n); err == nil {
				dropped += n
			}
		}
	}
	if n := strings.Count(out, "| "+strings.Repeat("z", 1000)+"\n"); n+dropped < 20000 || n+dropped > 20010 {
		t.Errorf("log holds %d of the 20000 lines of z, and %d lines were counted as dropped", n, dropped)
	}
	if grew := after - before; grew > 16<<10 {
		t.Errorf("PID 1's peak memory grew by %d KiB over 20 MB of a step's output (from %d KiB to %d KiB)", grew, before, after)
	}
}

// peakRSS reads a process's peak resident memory in KiB.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no VmHWM", pid)
	return 0
}
