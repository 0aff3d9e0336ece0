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
