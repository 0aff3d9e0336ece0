package supervisor

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A burst of queued real-time signals must arrive one for one, in order, with
// the sender recorded: the reason podinit does not use os/signal.
func TestIntakeKeepsEveryQueuedRealtimeSignal(t *testing.T) {
	in, err := openIntake()
	if err != nil {
		t.Fatal(err)
	}
	sig := unix.Signal(40)
	if err := catch(sig); err != nil {
		t.Fatal(err)
	}
	const burst = 1000
	var limit unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &limit); err != nil || limit.Cur < burst {
		t.Fatalf("RLIMIT_SIGPENDING is %d (err %v); the test needs %d", limit.Cur, err, burst)
	}
	for i := 0; i < burst; i++ {
		if err := unix.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for got < burst {
		recs, err := in.read()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Signo != sig || r.Pid != os.Getpid() || r.Code != siUser {
				t.Fatalf("record %d = %+v, want signal %d from pid %d", got, r, sig, os.Getpid())
			}
			got++
		}
	}
	if n := dropped(); n != 0 {
		t.Fatalf("%d signals dropped", n)
	}
	in.wake()
	recs, err := in.read()
	if err != nil || len(recs) != 1 || recs[0].Signo != 0 {
		t.Fatalf("wake: got %+v, %v; want one record with signal 0", recs, err)
	}
}
