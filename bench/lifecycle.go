package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// podinit's lifecycle has no counterpart in the other inits, so it is
// measured on podinit alone: the same binary as the podinit column, with
// lifecycle flags, against podinit without them.

// podinitWith is the podinit under test with flags before the command, and
// -q as in the podinit column.
func podinitWith(pod initUnderTest, name string, flags ...string) initUnderTest {
	argv := append([]string{"-q"}, flags...)
	return initUnderTest{name: name, path: pod.path, flags: append(argv, "--")}
}

// withPlan is podinit with a plan that a service might have: it exercises
// the parsing and set-up of every kind of step, and none of them runs
// while the app just runs (poststart's `exec true` is over before the idle
// window opens).
func withPlan(pod initUnderTest) initUnderTest {
	return podinitWith(pod, "podinit with a plan",
		"--poststart", "exec true",
		"--prestop", "http PUT http://127.0.0.1:9/x --timeout 5s",
		"--prestop", "sleep 10s")
}

// termVariants are the ways podinit meets a SIGTERM: (a) forwarded at once,
// (b) forwarded at once though a plan is configured, (c) forwarded after a
// prestop phase of one step that takes no time.
func termVariants(pod initUnderTest) []initUnderTest {
	return []initUnderTest{
		podinitWith(pod, "(a) no lifecycle flags"),
		podinitWith(pod, "(b) a plan, no prestop steps", "--poststop", "exec true", "--poststart", "exec true"),
		podinitWith(pod, "(c) prestop `sleep 0s`", "--prestop", "sleep 0s"),
	}
}

// loggedVariants are podinit with -v, so that every forwarded signal makes
// a log line on its standard output: once read by the bench, then a full
// pipe that nobody reads (a log driver that has stalled), blocking and
// non-blocking. Issue 8's goal is that forwarding does not notice the
// difference.
func loggedVariants(pod initUnderTest) []initUnderTest {
	read := initUnderTest{name: "podinit -v, stdout read", path: pod.path, flags: []string{"-v", "--"}, stdout: toReader}
	full, nonblocking := read, read
	full.name, full.stdout = "podinit -v, stdout full", toFullPipe
	nonblocking.name, nonblocking.stdout = "podinit -v, stdout full and non-blocking", toFullNonblocking
	return []initUnderTest{read, full, nonblocking}
}

// nsenterCommand runs argv in the PID and mount namespaces of process pid,
// as kubelet's exec handler runs a hook in a container. Its output is kept
// for the error message of a failure.
func nsenterCommand(pid int, out *bytes.Buffer, argv ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(pid), "-p", "-m"}, argv...)...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd
}

// timeNsenter returns the wall time in milliseconds of argv run by
// nsenterCommand, and an error unless it exited 0.
func timeNsenter(pid int, argv ...string) (float64, error) {
	var out bytes.Buffer
	ms, err := timeRun(nsenterCommand(pid, &out, argv...))
	if err != nil {
		return 0, fmt.Errorf("%w: %q", err, out.String())
	}
	return ms, nil
}

// hookResult is the cost of `podinit hook prestop` against PID 1.
type hookResult struct {
	hook    sample // ms: `nsenter … podinit hook prestop`, start to exit
	nsenter sample // ms: `nsenter … /bin/true`, start to exit
	net     sample // ms: hook minus the same round's nsenter

	// PID 1's memory before the first hook and after the last of calls
	// (the first started prestop, the rest joined it), in KiB.
	calls                                      int
	rssBefore, rssAfter, anonBefore, anonAfter int64
}

// measureHook runs `podinit hook prestop` runs times against a podinit
// without a plan, and `/bin/true` through the same nsenter as the baseline,
// in an order that alternates from round to round; each round's net is
// taken against its own baseline, as the exec overhead is. Then it runs
// more hooks, untimed, until calls hooks have run, and reads PID 1's memory
// again: joining a phase must not make PID 1 grow.
func measureHook(pod initUnderTest, runs, calls int) (*hookResult, error) {
	cmd := nsCommand(pod, "sleep", "1000")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer stopNamespace(cmd)
	pid, err := waitListening(cmd.Process.Pid, time.Now().Add(10*time.Second))
	if err != nil {
		return nil, err
	}
	r := &hookResult{}
	if r.rssBefore, r.anonBefore, err = rss(pid); err != nil {
		return nil, err
	}
	const hook, baseline = 0, 1
	argvs := [2][]string{hook: {pod.path, "hook", "prestop"}, baseline: {"/bin/true"}}
	// One unrecorded run of each brings the binaries into the page cache;
	// the first hook also starts PID 1's (empty) prestop phase, which the
	// recorded ones join, as kubelet's SIGTERM after the preStop hook does.
	for _, argv := range argvs {
		if _, err := timeNsenter(pid, argv...); err != nil {
			return nil, err
		}
	}
	r.calls = 1
	for round := range runs {
		var walls [2]float64
		for i := range argvs {
			which := (round + i) % len(argvs)
			if walls[which], err = timeNsenter(pid, argvs[which]...); err != nil {
				return nil, err
			}
		}
		r.calls++
		r.hook = append(r.hook, walls[hook])
		r.nsenter = append(r.nsenter, walls[baseline])
		r.net = append(r.net, walls[hook]-walls[baseline])
	}
	for ; r.calls < calls; r.calls++ {
		if _, err := timeNsenter(pid, argvs[hook]...); err != nil {
			return nil, err
		}
	}
	if r.rssAfter, r.anonAfter, err = rss(pid); err != nil {
		return nil, err
	}
	return r, nil
}

// rss is process pid's VmRSS and RssAnon in KiB.
func rss(pid int) (vm, anon int64, err error) {
	if vm, err = statusField(procfs.Dir(pid), "VmRSS"); err != nil {
		return 0, 0, err
	}
	anon, err = statusField(procfs.Dir(pid), "RssAnon")
	return vm, anon, err
}

// waitListening busy-polls until the init that unshare started listens on
// a control socket, and returns the init's host pid. podinit opens the
// socket before it starts the app, but tells no one when; a hook that came
// too early would find no podinit and run the (empty) phase itself.
func waitListening(unshare int, deadline time.Time) (int, error) {
	for {
		pid, err := initPID(unshare)
		if err == nil {
			var ok bool
			if ok, err = listening(pid); ok {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no control socket within the deadline: %v", err)
		}
		// As in waitForApp: leave the other core to the init.
		time.Sleep(100 * time.Microsecond)
	}
}

// listening reports whether process pid holds a Unix socket in the abstract
// namespace that accepts connections. The socket's name is podinit's to
// choose (it has been "@podinit-" and the PID namespace's inode), so the
// socket is recognised by who holds it instead: the inodes of pid's open
// sockets, from /proc/PID/fd, against /proc/net/unix of the network
// namespace that the bench shares with the inits.
func listening(pid int) (bool, error) {
	fds, err := os.ReadDir(procfs.Dir(pid) + "/fd")
	if err != nil {
		return false, err
	}
	held := make(map[string]bool)
	for _, fd := range fds {
		link, err := os.Readlink(procfs.Dir(pid) + "/fd/" + fd.Name())
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			held[strings.TrimSuffix(inode, "]")] = true
		}
	}
	if len(held) == 0 {
		return false, fmt.Errorf("pid %d holds no socket", pid)
	}
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return false, err
	}
	defer f.Close()
	// Fields: Num RefCount Protocol Flags Type St Inode Path. Flags has
	// __SO_ACCEPTCON (1<<16) from listen(2) on, not merely from bind(2).
	const acceptCon = 1 << 16
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || !held[fields[6]] || !strings.HasPrefix(fields[7], "@") {
			continue
		}
		if flags, err := strconv.ParseUint(fields[3], 16, 32); err == nil && flags&acceptCon != 0 {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, fmt.Errorf("pid %d listens on no abstract Unix socket", pid)
}

// termResult is the SIGTERM latency through one way of running podinit,
// each sample from a podinit of its own.
type termResult struct {
	micros sample // from kill(2) to the receiver's read of the signalfd
	lost   int    // SIGTERMs that got no report within termWait
	clean  int    // podinits that exited 0 by themselves within termExitWait of the app
	runs   int
}

const (
	// termWait is how long a SIGTERM may take to reach the app before it
	// counts as lost: far more than a prestop of `sleep 0s` should need.
	termWait = 5 * time.Second
	// termExitWait is how long podinit may take to exit once its app has:
	// milliseconds here, where poststop is at most `exec true`. One that
	// has not exited by then counts as not clean and is killed, so that a
	// hang costs the run 3 s a sample rather than the usual 10.
	termExitWait = 3 * time.Second
)

// measureTerm sends one SIGTERM to each of samples fresh podinits per
// variant, visiting the variants round-robin in an order that rotates from
// round to round. A SIGTERM stops podinit, hence a fresh one each time.
func measureTerm(variants []initUnderTest, self string, samples int) (map[string]*termResult, error) {
	out := make(map[string]*termResult)
	for _, v := range variants {
		out[v.name] = &termResult{}
	}
	for round := range samples {
		for i := range variants {
			v := variants[(round+i)%len(variants)]
			if err := termOnce(v, self, out[v.name]); err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
		}
	}
	return out, nil
}

// termOnce starts podinit with the SIGTERM receiver as its app, waits until
// poststart is over, sends podinit one SIGTERM and times its arrival at the
// app, then ends the app and checks that podinit exits 0 soon after. When
// podinit, PID 1, exits, the kernel kills whatever is left in its namespace,
// so nothing of the sample outlives it.
func termOnce(in initUnderTest, self string, r *termResult) error {
	t, err := startReceiver(in, self, unix.SIGTERM)
	if err != nil {
		return err
	}
	r.runs++
	// A SIGTERM during poststart would meet a podinit still busy with it.
	// The hook returns when PID 1's poststart is over (at once when it has
	// no steps); the socket is open, since the app runs.
	if _, err := timeNsenter(t.pid, in.path, "hook", "poststart"); err != nil {
		t.stop()
		return err
	}
	sent := monotonic()
	if err := unix.Kill(t.pid, unix.SIGTERM); err != nil {
		t.stop()
		return fmt.Errorf("kill %d: %w", t.pid, err)
	}
	got, err := t.next(termWait)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.lost++
	case err != nil:
		t.stop()
		return err
	default:
		r.micros = append(r.micros, float64(got-sent)/1e3)
	}
	if err := t.stopWithin(termExitWait); err != nil {
		progress("%s: podinit did not exit 0 within %v of its app: %v", in.name, termExitWait, err)
	} else {
		r.clean++
	}
	return nil
}
