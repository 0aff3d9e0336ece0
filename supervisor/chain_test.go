package supervisor

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// openChainedIntake opens the intake with every signal the runtime needs
// caught, as PID 1 does, and makes its read end non-blocking so a test can
// see that nothing arrived.
func openChainedIntake(t *testing.T) *intake {
	t.Helper()
	in, err := openIntake()
	if err != nil {
		t.Fatal(err)
	}
	for sig := unix.Signal(1); sig <= signals.RTMax; sig++ {
		if signals.RuntimeNeeds(sig) {
			if err := catch(sig); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := unix.SetNonblock(in.readFD, true); err != nil {
		t.Fatal(err)
	}
	return in
}

// pending returns what the intake holds now, without waiting.
func pending(t *testing.T, in *intake) []record {
	t.Helper()
	recs, err := in.read()
	if err == nil {
		return recs
	}
	if err.Error() == "signal pipe: "+unix.EAGAIN.Error() {
		return nil
	}
	t.Fatal(err)
	return nil
}

// The synchronous signals and URG sent by another process reach the intake
// with their sender, instead of the Go runtime, which would die of them.
func TestChainedSignalsFromAnotherProcessReachTheIntake(t *testing.T) {
	in := openChainedIntake(t)
	for sig := unix.Signal(1); sig <= signals.RTMax; sig++ {
		if !signals.RuntimeNeeds(sig) {
			continue
		}
		kill := exec.Command("kill", "-"+strconv.Itoa(int(sig)), strconv.Itoa(os.Getpid()))
		if out, err := kill.CombinedOutput(); err != nil {
			t.Fatalf("kill -%d: %v: %s", sig, err, out)
		}
		var got []record
		for len(got) == 0 {
			unix.Poll([]unix.PollFd{{Fd: int32(in.readFD), Events: unix.POLLIN}}, -1)
			for _, r := range pending(t, in) {
				if r.Signo != unix.SIGURG || r.Pid == kill.Process.Pid {
					got = append(got, r)
				}
			}
		}
		if len(got) != 1 || got[0].Signo != sig || got[0].Pid != kill.Process.Pid || got[0].Code != siUser {
			t.Fatalf("%s from pid %d: intake got %+v", signals.Name(sig), kill.Process.Pid, got)
		}
	}
}

// A real fault of the process's own still reaches the runtime, which turns a
// nil dereference into a panic; were it sent to the intake instead, the
// faulting instruction would run again forever.
func TestChainedOwnFaultReachesTheRuntime(t *testing.T) {
	in := openChainedIntake(t)
	var nowhere *int
	recovered := func() (r any) {
		defer func() { r = recover() }()
		return *nowhere
	}()
	if err, ok := recovered.(runtime.Error); !ok {
		t.Fatalf("nil dereference: recovered %v, want a runtime error", recovered)
	} else {
		t.Logf("recovered: %v", err)
	}
	if recs := pending(t, in); len(recs) != 0 {
		t.Fatalf("the fault reached the intake: %+v", recs)
	}
}

// The runtime's own preemption signal (URG, thread to thread) still preempts:
// with one P, the spinning goroutine below gives way only to asynchronous
// preemption, so a broken chain hangs this test until go test's timeout.
// Signals the process sends itself are the runtime's, never the intake's.
func TestChainedPreemptionStillWorks(t *testing.T) {
	in := openChainedIntake(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var stop, spinning atomic.Bool
	done := make(chan struct{})
	go func() {
		spinning.Store(true)
		for !stop.Load() {
		}
		close(done)
	}()
	for !spinning.Load() {
		runtime.Gosched()
	}
	stop.Store(true) // runs only once the spinner was preempted
	<-done
	if err := unix.Kill(os.Getpid(), unix.SIGURG); err != nil {
		t.Fatal(err)
	}
	for _, r := range pending(t, in) {
		if r.Pid == os.Getpid() {
			t.Fatalf("a signal the process sent itself reached the intake: %+v", r)
		}
	}
}
