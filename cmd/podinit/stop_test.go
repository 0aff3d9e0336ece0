package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A second, different stop signal during prestop cuts it short and reaches
// the app after the first, as tini and dumb-init would have delivered both:
// an app that stops only on TERM must not wait for SIGKILL after an INT.
func TestASecondStopSignalDuringPrestopIsForwarded(t *testing.T) {
	p := start(t, asPID1, append([]string{"--prestop", "sleep 30s", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGINT)
	eventually(t, "prestop starts", func() bool { return strings.Contains(p.stdout.String(), "prestop 1/1 sleep 30s ...") })
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 2 ")
	p.expectPrefix("got 15 ")
	p.expectExit(0)
	if out := p.stdout.String(); !strings.Contains(out, "prestop 1/1 cut short") {
		t.Errorf("log lacks prestop cut short:\n%s", out)
	}
}

// A poststart that fails at once waits for kubelet's postStart hook, so the
// hook, not "cannot exec in a stopped container", carries the reason; then
// kubelet stops the container as a deletion does, its preStop hook first,
// and podinit leaves that stop to it.
func TestAFastFailingPoststartWaitsForKubeletsHooks(t *testing.T) {
	msg := emptyTerminationLog(t)
	p := start(t, asPID1, append([]string{"--termination-log", msg, "--poststart", "exec false", "--prestop", "sleep 1ms", "--"},
		helper("stamp-signals")...)...)
	p.expect("ready")
	code, _, stderr := p.hook(t, "", "poststart")
	if code != 1 || !strings.Contains(stderr, "poststart: step 1 (exec false): exit code 1") {
		t.Fatalf("hook poststart = %d, %q; want 1 and the step's failure", code, stderr)
	}
	if code, _, stderr := p.hook(t, "", "prestop"); code != 0 {
		t.Fatalf("hook prestop = %d, %q; want 0: the app still runs, waiting for kubelet's stop", code, stderr)
	}
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15 ")
	p.expectExit(1)
	b, _ := os.ReadFile(msg)
	wantAll(t, "termination message", string(b),
		"poststart: failed: poststart: step 1 (exec false): exit code 1", "prestop: ok (started by hook)")
}

// Without kubelet no hook comes: the failed poststart stops the app itself,
// says so, and the termination message says who started prestop.
func TestAFailedPoststartWithoutKubeletStopsTheApp(t *testing.T) {
	msg := emptyTerminationLog(t)
	p := start(t, asPID1, append([]string{"--termination-log", msg, "--poststart", "exec false", "--prestop", "sleep 1ms", "--"},
		helper("stamp-signals")...)...)
	p.expect("ready")
	p.expectPrefix("got 15 ")
	p.expectExit(1)
	out := p.stdout.String()
	if !strings.Contains(out, "poststart failed: stopping the app with SIGTERM") || strings.Contains(out, "received SIGTERM") {
		t.Errorf("log does not say why the app was stopped:\n%s", out)
	}
	b, _ := os.ReadFile(msg)
	wantAll(t, "termination message", string(b), "prestop: ok (started by podinit after poststart failed)")
}

// emptyTerminationLog is a termination log as Kubernetes mounts it: a file
// that exists, empty, for podinit to write.
func emptyTerminationLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A termination log that is a FIFO nobody reads is skipped with a warning:
// PID 1's exit, and the app's exit code, do not wait for a reader.
func TestAFIFOTerminationLogWithoutReaderHoldsNoExit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "termination-log")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runToEnd(t, asPID1, append([]string{"--termination-log", fifo, "--"}, helper("exit", "7")...)...)
	if code != 7 {
		t.Fatalf("exit code %d, want the app's 7", code)
	}
	wantAll(t, "log", stdout, "termination log "+fifo+": a FIFO no process reads: message not written")
}

// A reason longer than kubelet reads (a failing step's long command line)
// is cut to 4096 bytes, marked, at the end of a line.
func TestATerminationMessageIsAtMost4096Bytes(t *testing.T) {
	msg := emptyTerminationLog(t)
	long := strings.Repeat("x", 6000)
	code, _, _ := runToEnd(t, asPID1, "--termination-log", msg, "--prestop", "exec false "+long, "--", "sh", "-c", "kill -TERM 1; sleep 5")
	if code != 143 {
		t.Errorf("exit code %d, want 143: the app killed by the TERM forwarded after prestop", code)
	}
	b, err := os.ReadFile(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 4096 || !strings.HasSuffix(string(b), "\n[message cut at 4096 bytes]\n") {
		t.Fatalf("termination message of %d bytes, ending %q", len(b), b[max(0, len(b)-60):])
	}
	wantAll(t, "termination message", string(b), "app killed by SIGTERM")
}
