package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// floodUntilTerm N CODE: makes N orphans, whose reaping podinit -v logs one
// line each, reports "ready", then reports every SIGUSR1 as "app got 10" and
// exits CODE on SIGTERM after reporting "app got 15".
func floodUntilTerm(args []string) int {
	n, _ := strconv.Atoi(args[0])
	code, _ := strconv.Atoi(args[1])
	c := make(chan os.Signal, 64)
	signal.Notify(c, unix.SIGUSR1, unix.SIGTERM)
	for i := 0; i < n; i++ {
		if err := orphan(-1); err != nil {
			reportf("error %v", err)
			return 1
		}
	}
	reportf("ready")
	for s := range c {
		reportf("app got %d", int(s.(syscall.Signal)))
		if s == unix.SIGTERM {
			return code
		}
	}
	return 0
}

// floodOrphans is more reaped-process lines than podinit's log queue holds.
const floodOrphans = "3000"

// fullStdout returns a pipe for podinit's standard output, filled so that
// the next write blocks (or, nonblocking, fails with EAGAIN), and its read
// end, which the test holds and does not read until it chooses to.
func fullStdout(t *testing.T, nonblocking bool) (w, r *os.File) {
	t.Helper()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	// os.NewFile of a blocking descriptor keeps it blocking when exec
	// passes it on; O_NONBLOCK set afterwards is what podinit inherits, as
	// from a Node.js app sharing its stdout.
	r, w = os.NewFile(uintptr(fds[0]), "stdout-r"), os.NewFile(uintptr(fds[1]), "stdout-w")
	t.Cleanup(func() { r.Close(); w.Close() })
	// Fill it through a description of its own, so the flags of podinit's
	// are the test's choice alone.
	nb, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fds[1]), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(nb)
	for _, size := range []int{4096, 1} {
		b := make([]byte, size)
		for {
			if _, err := unix.Write(nb, b); err == unix.EAGAIN {
				break
			} else if err != nil && err != unix.EINTR {
				t.Fatal(err)
			}
		}
	}
	if nonblocking {
		if err := unix.SetNonblock(fds[1], true); err != nil {
			t.Fatal(err)
		}
	}
	return w, r
}

// cpuTime is the CPU time process pid has used, utime plus stime (fields
// 14 and 15 of proc(5), in USER_HZ ticks, 100 a second on Linux).
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	f, err := procfs.StatFields(procfs.Dir(pid))
	if err != nil {
		t.Fatal(err)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// allThreadsAsleep reports whether every thread of pid is asleep. A
// thread spinning on EAGAIN is running, or runnable, whenever it is looked
// at, so this never holds for a process that spins.
func allThreadsAsleep(pid int) bool {
	tasks, err := filepath.Glob(procfs.Dir(pid) + "/task/*")
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		f, err := procfs.StatFields(task)
		if err != nil || f[0] != "S" {
			return false
		}
	}
	return true
}

// idleWithFullStdout starts podinit -v as PID 1 with a full stdout and an
// app that floods the log, and waits until podinit has settled with its
// queue full.
func idleWithFullStdout(t *testing.T, nonblocking bool) (p *proc, r *os.File) {
	w, r := fullStdout(t, nonblocking)
	p = start(t, options{pid1: true, stdout: w}, append([]string{"-v", "--"}, helper("flood-until-term", floodOrphans, "7")...)...)
	w.Close() // podinit holds it now
	p.expect("ready")
	// A signal is forwarded however full the log is.
	p.signal(unix.SIGUSR1)
	p.expect("app got 10")
	pid := p.podinitPID()
	eventually(t, "every thread of PID 1 asleep with its stdout full", func() bool { return allThreadsAsleep(pid) })
	return p, r
}

func TestAFullStdoutHoldsUpNothing(t *testing.T) {
	for _, c := range []struct {
		name        string
		nonblocking bool
	}{{"blocking", false}, {"nonblocking", true}} {
		t.Run(c.name, func(t *testing.T) {
			p, _ := idleWithFullStdout(t, c.nonblocking)
			// With its stdout full PID 1 neither spins on EAGAIN nor
			// busies itself with the lines it drops: forwarding signals,
			// each of which logs a line nobody can take, costs it next to
			// nothing. (Reaping the flood's orphans before is not counted.)
			pid := p.podinitPID()
			before := cpuTime(t, pid)
			for i := 0; i < 200; i++ {
				p.signal(unix.SIGUSR1)
				p.expect("app got 10")
			}
			eventually(t, "every thread of PID 1 asleep again", func() bool { return allThreadsAsleep(pid) })
			if cpu := cpuTime(t, pid) - before; cpu >= 500*time.Millisecond {
				t.Errorf("PID 1 used %s of CPU forwarding 200 signals with a full stdout, want under 0.5s", cpu)
			}
			p.signal(unix.SIGTERM)
			p.expect("app got 15")
			// Nobody ever reads the pipe: PID 1 still exits, after the
			// app, with the app's code.
			p.expectExit(7)
			if z := zombiesUnder(p.cmd.Process.Pid); len(z) > 0 {
				t.Errorf("zombies left: %v", z)
			}
		})
	}
}

var droppedNotice = regexp.MustCompile(`^\S+ podinit (\d+) log lines dropped$`)

func TestDroppedLinesAreCountedOnceStdoutDrains(t *testing.T) {
	for _, c := range []struct {
		name        string
		nonblocking bool
	}{{"blocking", false}, {"nonblocking", true}} {
		t.Run(c.name, func(t *testing.T) {
			p, r := idleWithFullStdout(t, c.nonblocking)
			notices := make(chan string, 16)
			lines := make(chan string, 1<<16)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(r)
				sc.Buffer(make([]byte, 1<<20), 1<<20) // the filling is one long line
				for sc.Scan() {
					line := strings.TrimLeft(sc.Text(), "\x00") // the filling
					if droppedNotice.MatchString(line) {
						notices <- line
					}
					lines <- line
				}
			}()
			var notice string
			select {
			case notice = <-notices:
			case <-time.After(deadline):
				t.Fatalf("no \"N log lines dropped\" within %s of draining stdout", deadline)
			}
			n, _ := strconv.Atoi(droppedNotice.FindStringSubmatch(notice)[1])
			if n <= 0 {
				t.Errorf("notice %q: want a positive count", notice)
			}
			p.signal(unix.SIGTERM)
			p.expect("app got 15")
			p.expectExit(7)
			var all []string
			for line := range lines {
				all = append(all, line)
			}
			if got := len(notices); got != 0 {
				t.Errorf("%d more notices of dropped lines after the first, want one for the one stall:\n%s", got, strings.Join(all, "\n"))
			}
			// What was not dropped still arrives: the app's exit is the
			// last line.
			if last := all[len(all)-1]; !strings.Contains(last, "exited with code 7") {
				t.Errorf("last line %q, want the app's exit", last)
			}
		})
	}
}

func TestJSONLogIsJSONEveryLine(t *testing.T) {
	requireRoot(t)
	p := start(t, options{pid1: true}, append([]string{"-v", "--log-format", "json",
		"--poststart", "exec echo ready to serve",
		"--poststart", "exec --optional false",
		"--prestop", "sleep 1ms",
		"--"}, helper("flood-until-term", "3", "7")...)...)
	p.expect("ready")
	p.signal(unix.SIGUSR1)
	p.expect("app got 10")
	// The stop comes once poststart has ended, warning and all.
	eventually(t, "poststart's end in the log", func() bool {
		return strings.Contains(p.stdout.String(), `{"event":"ok","podinit":"poststart","seconds":`)
	})
	p.signal(unix.SIGTERM)
	p.expect("app got 15")
	p.expectExit(7)
	out := p.stdout.String()
	checkJSONLines(t, "stdout", out)
	for _, want := range []string{`"started \"`, `forwarded SIGUSR1`, `"podinit":"poststart"`, `"event":"warning"`,
		`"podinit":"prestop"`, `exited with code 7`, `"text":"ready to serve"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no line with %s in:\n%s", want, out)
		}
	}

	// An error before exit is JSON too.
	code, stdout, stderr := runToEnd(t, options{pid1: true}, "--log-format", "json", "--", "/no/such/program")
	if code != 127 {
		t.Errorf("exit code %d for a missing program, want 127", code)
	}
	checkJSONLines(t, "stdout", stdout)
	checkJSONLines(t, "stderr", stderr)
	if !strings.Contains(stderr, `"level":"error"`) {
		t.Errorf("stderr %q: want the error as a JSON line", stderr)
	}
}

func checkJSONLines(t *testing.T, name, out string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("%s line is not JSON (%v): %s", name, err, line)
		}
	}
}
