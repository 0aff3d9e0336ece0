package signals

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestSent(t *testing.T) {
	for _, c := range []struct {
		sig  unix.Signal
		pid  int
		want string
	}{
		{unix.SIGTERM, -7, "sent SIGTERM to process group 7"},
		{unix.SIGUSR1, 12, "sent SIGUSR1 to pid 12"},
		{unix.Signal(40), 1, "sent SIGRTMIN+6 to pid 1"},
	} {
		if got := Sent(c.sig, c.pid); got != c.want {
			t.Errorf("Sent(%d, %d) = %q, want %q", c.sig, c.pid, got, c.want)
		}
	}
}
