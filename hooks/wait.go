package hooks

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Waiting steps check again with a growing pause, from pollMin to pollMax:
// fast while a server comes up, and never a tight loop.
const (
	pollMin = 50 * time.Millisecond
	pollMax = time.Second
)

// poll calls check until it reports done, fails, or ctx ends.
func poll(ctx context.Context, check func() (done bool, err error)) error {
	pause := pollMin
	for {
		done, err := check()
		if done || err != nil {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		pause = min(pause*2, pollMax)
	}
}

func runWaitTCP(_ *Runner, ctx context.Context, _ Step, args []string, _ func(string)) (string, error) {
	attempts := 0
	var last error
	err := poll(ctx, func() (bool, error) {
		attempts++
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", args[0])
		if err != nil {
			last = err
			return false, nil
		}
		c.Close()
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("no answer after %d attempt(s): %v", attempts, lastCause(last))
	}
	return fmt.Sprintf("answered after %d attempt(s)", attempts), nil
}

// runWaitDrain waits until no established TCP connection has port as its
// local port: the app's accepted connections, read from /proc/net/tcp and
// tcp6 of the container's network namespace.
func runWaitDrain(_ *Runner, ctx context.Context, _ Step, args []string, output func(string)) (string, error) {
	port, err := parsePort(args[0])
	if err != nil {
		return "", err
	}
	first, last := -1, 0
	err = poll(ctx, func() (bool, error) {
		n, err := establishedOn(port)
		if err != nil {
			return false, err
		}
		if first < 0 {
			first = n
			if n > 0 {
				output(fmt.Sprintf("waiting for %d connection(s) on port %d to close", n, port))
			}
		}
		last = n
		return n == 0, nil
	})
	if err != nil {
		return "", fmt.Errorf("%d connection(s) still open on port %d: %w", last, port, err)
	}
	return fmt.Sprintf("%d connection(s) drained", first), nil
}

// establishedOn counts ESTABLISHED connections whose local port is port.
func establishedOn(port int) (int, error) {
	total := 0
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		n, err := countEstablished(path, port)
		if err != nil && !os.IsNotExist(err) { // no IPv6 in this namespace
			return 0, err
		}
		total += n
	}
	return total, nil
}

// countEstablished reads one /proc/net/tcp file: after a header line, each
// line is "sl local_address rem_address st ...", addresses as HEXIP:HEXPORT
// and st 01 for ESTABLISHED.
func countEstablished(path string, port int) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != "01" {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
			n++
		}
	}
	return n, sc.Err()
}
