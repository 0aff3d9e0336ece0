package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// stopResult is how long an init takes from a SIGTERM to its own exit when
// its app dies of the forwarded signal, as `docker stop` meets it.
type stopResult struct {
	millis sample // from kill(2) on the init to its exit
}

// stopWait bounds each sample: an init still running this long after its
// SIGTERM has failed, and the run ends.
const stopWait = 10 * time.Second

// measureStop sends one SIGTERM to each of samples fresh `INIT sleep 1000`
// per init, visiting the inits round-robin in an order that rotates from
// round to round. sleep keeps SIGTERM's default action, so it dies of the
// forwarded signal and the init follows it out.
func measureStop(inits []initUnderTest, samples int) (map[string]*stopResult, error) {
	out := make(map[string]*stopResult)
	for _, in := range inits {
		out[in.name] = &stopResult{}
	}
	for round := range samples {
		for i := range inits {
			in := inits[(round+i)%len(inits)]
			ms, err := stopOnce(in)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", in.name, err)
			}
			out[in.name].millis = append(out[in.name].millis, ms)
		}
	}
	return out, nil
}

// stopOnce starts `INIT sleep 1000`, waits until sleep runs, sends the init
// SIGTERM and times its exit. The exit is seen on a pidfd of the init, which
// the kernel makes readable when the process exits (pidfd_open(2)), before
// unshare, its parent, has even woken to reap it.
func stopOnce(in initUnderTest) (float64, error) {
	cmd := nsCommand(in, "sleep", "1000")
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid, err := waitForApp(cmd.Process.Pid, "sleep", time.Now().Add(stopWait))
	if err != nil {
		stopNamespace(cmd)
		return 0, err
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		stopNamespace(cmd)
		return 0, fmt.Errorf("pidfd of the init (pid %d): %w", pid, err)
	}
	defer unix.Close(fd)
	sent := monotonic()
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		stopNamespace(cmd)
		return 0, fmt.Errorf("kill %d: %w", pid, err)
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(stopWait/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			stopNamespace(cmd)
			return 0, fmt.Errorf("init (pid %d) still running %v after SIGTERM: %v", pid, stopWait, err)
		}
		break
	}
	exited := monotonic()
	// unshare exits as its child did: 143, the app's death by SIGTERM, is
	// what every init passes on.
	_ = waitWithin(cmd, stopWait)
	return float64(exited-sent) / 1e6, nil
}

// waitForApp busy-polls until the init that unshare started has a child
// whose command name is comm, so that a signal meets an init that has
// started its app, and returns the init's host pid.
func waitForApp(unshare int, comm string, deadline time.Time) (int, error) {
	for {
		pid, err := initPID(unshare)
		if err == nil {
			var kids []int
			if kids, err = threadsChildren(pid); err == nil {
				for _, k := range kids {
					if b, _ := os.ReadFile(procfs.Dir(k) + "/comm"); strings.TrimSpace(string(b)) == comm {
						return pid, nil
					}
				}
				err = fmt.Errorf("no child named %s among %v", comm, kids)
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("app not started within the deadline: %v", err)
		}
		// A pause between looks leaves the second core to the init that
		// is starting, on a machine of two.
		time.Sleep(100 * time.Microsecond)
	}
}
