package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Interactive use, as with "docker run -it IMAGE podinit -- bash": a shell
// under podinit on a real pseudo-terminal must get job control, and Ctrl-C
// and Ctrl-Z must reach what runs in the foreground as they do without
// podinit. The test types into the terminal's master side and reads the
// screen back, waiting for the text it expects.

// screen is a process tree on a pseudo-terminal, seen from the master side.
type screen struct {
	t      *testing.T
	master *os.File
	tty    string // the slave's path, /dev/pts/N
	cmd    *exec.Cmd

	mu     sync.Mutex
	buf    []byte // everything the terminal has shown
	seen   int    // how much of buf earlier waits consumed
	more   chan struct{}
	eof    chan struct{} // no process holds the slave any more
	marker int           // numbers run's markers

	done     chan struct{}
	exitCode int
}

// openPTY opens a new pseudo-terminal pair, as posix_openpt, unlockpt and
// ptsname do.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("this test needs a pseudo-terminal: %v", err)
	}
	var n uint32
	err = control(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("unlockpt: %w", err)
		}
		if n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN); err != nil {
			return fmt.Errorf("ptsname: %w", err)
		}
		// Wide enough that no line the test waits for wraps.
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 200})
	})
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	return master, slave
}

// control runs fn on f's descriptor without taking it out of the poller.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// startScreen runs argv as the leader of a new session on a new terminal
// (without taking it as its controlling terminal: the command does that).
func startScreen(t *testing.T, argv ...string) *screen {
	t.Helper()
	requireRoot(t)
	for _, tool := range []string{"bash", "setsid"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %s", tool)
		}
	}
	master, slave := openPTY(t)
	s := &screen{t: t, master: master, tty: slave.Name(), more: make(chan struct{}, 1),
		eof: make(chan struct{}), done: make(chan struct{})}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	// A quiet, predictable bash: no history file, no colours, no rc files.
	s.cmd.Env = append(os.Environ(), "TERM=dumb", "PS1=$ ", "HISTFILE=", "DI="+filepath.Join(binDir, "dumb-init"))
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = slave, slave, slave
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := s.cmd.Start(); err != nil {
		slave.Close()
		master.Close()
		t.Fatal(err)
	}
	// Only the children hold the slave now: when they are all gone the
	// master reads EOF (EIO).
	slave.Close()
	go s.read()
	go func() {
		s.exitCode = exitCodeOf(s.cmd.Wait())
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			// PID 1 of the namespace takes everything in it along.
			if pid := s.nsInit(); pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		master.Close()
		if t.Failed() {
			t.Logf("the terminal showed:\n%s", s.screenText())
		}
	})
	return s
}

func (s *screen) read() {
	b := make([]byte, 4096)
	for {
		n, err := s.master.Read(b)
		if n > 0 {
			s.mu.Lock()
			s.buf = append(s.buf, b[:n]...)
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			close(s.eof)
			return
		}
	}
}

func (s *screen) screenText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}

// nsInit is PID 1 of the namespace, unshare's only child.
func (s *screen) nsInit() int {
	pid := s.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return -1
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return child
}

// typeIn types text at the keyboard.
func (s *screen) typeIn(text string) {
	s.t.Helper()
	if _, err := s.master.Write([]byte(text)); err != nil {
		s.t.Fatalf("typing %q: %v", text, err)
	}
}

// waitFor waits until the terminal shows a match for re after what earlier
// waits consumed, and returns the text before the match and the submatches.
// Patterns are written so that they match what a command prints, not the
// echo of the command line itself.
func (s *screen) waitFor(re *regexp.Regexp) (before string, match []string) {
	s.t.Helper()
	timeout := time.After(deadline)
	for {
		s.mu.Lock()
		text := string(s.buf[s.seen:])
		if loc := re.FindStringSubmatchIndex(text); loc != nil {
			s.seen += loc[1]
			s.mu.Unlock()
			match = make([]string, len(loc)/2)
			for i := range match {
				if loc[2*i] >= 0 {
					match[i] = text[loc[2*i]:loc[2*i+1]]
				}
			}
			return text[:loc[0]], match
		}
		s.mu.Unlock()
		select {
		case <-s.more:
		case <-s.eof:
			// The last output may have arrived with the end.
			select {
			case <-s.more:
				continue
			default:
			}
			s.mu.Lock()
			last := string(s.buf[s.seen:])
			s.mu.Unlock()
			if !re.MatchString(last) {
				s.t.Fatalf("terminal closed before %q appeared", re)
			}
		case <-timeout:
			s.t.Fatalf("%q did not appear within %s", re, deadline)
		}
	}
}

// run types a command line followed by a marker echo, and returns what the
// command printed. The marker is computed by the shell, so its echo as typed
// does not match.
func (s *screen) run(line string) string {
	s.t.Helper()
	s.marker++
	s.typeIn(fmt.Sprintf("%s; echo DONE-$((%d+1))\r", line, s.marker))
	out, _ := s.waitFor(regexp.MustCompile(fmt.Sprintf(`DONE-%d\r\n`, s.marker+1)))
	return out
}

// foreground is the terminal's foreground process group, as the kernel sees
// it from this test's PID namespace.
func (s *screen) foreground() int {
	var pgrp int
	err := control(s.master, func(fd int) (err error) {
		pgrp, err = unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		return err
	})
	if err != nil {
		return -1
	}
	return pgrp
}

func commOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// waitForeground waits until the terminal's foreground group is led by a
// process named comm, other than not, and returns the group.
func (s *screen) waitForeground(comm string, not int) int {
	s.t.Helper()
	var pgrp int
	eventually(s.t, "a foreground "+comm, func() bool {
		pgrp = s.foreground()
		return pgrp > 0 && pgrp != not && commOf(pgrp) == comm
	})
	return pgrp
}

// expectExit waits for the process tree to end with want.
func (s *screen) expectExit(want int) {
	s.t.Helper()
	select {
	case <-s.done:
		if s.exitCode != want {
			s.t.Fatalf("exited %d, want %d", s.exitCode, want)
		}
	case <-time.After(deadline):
		s.t.Fatalf("still running after %s", deadline)
	}
}

// ttyNr is how /proc/PID/stat names the terminal at path.
func ttyNr(t *testing.T, path string) int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	return int(minor&0xff | major<<8 | (minor&^0xff)<<12)
}

var (
	rcLine    = regexp.MustCompile(`RC-(\d+)\r\n`)
	stopped   = regexp.MustCompile(`\[1\]\+\s+Stopped\s+`)
	shellStat = regexp.MustCompile(`STAT (\d+) (-?\d+) (\d+) (\d+) (\d+) (-?\d+)\r\n`)
)

// lastStatus asks the shell for $? of the last foreground job.
func (s *screen) lastStatus() string {
	s.t.Helper()
	s.typeIn("echo RC-$?\r")
	_, m := s.waitFor(rcLine)
	return m[1]
}

// interruptAndSuspend runs the job-control session every persona must
// support: Ctrl-C ends a foreground job and the shell lives on; Ctrl-Z stops
// it, jobs lists it, fg resumes it.
func (s *screen) interruptAndSuspend(job, comm string, shell int) {
	s.t.Helper()
	// Ctrl-C is typed only once the job owns the terminal: before that it
	// would reach the shell and discard the typed command.
	s.typeIn(job + "\r")
	s.waitForeground(comm, shell)
	s.typeIn("\x03")
	if rc := s.lastStatus(); rc != "130" {
		s.t.Fatalf("after Ctrl-C the job's status is %s, want 130 (SIGINT)", rc)
	}

	s.typeIn(job + "\r")
	pgrp := s.waitForeground(comm, shell)
	s.typeIn("\x1a")
	s.waitFor(stopped)
	eventually(s.t, "the job is stopped", func() bool { return procState(pgrp) == "T" })
	if fg := s.foreground(); fg != shell {
		s.t.Fatalf("after Ctrl-Z the terminal's foreground is %d, want the shell's %d", fg, shell)
	}
	jobs := s.run("jobs")
	if !stopped.MatchString(jobs) || !strings.Contains(jobs, job) {
		s.t.Fatalf("jobs does not list %q as stopped:\n%s", job, jobs)
	}
	s.typeIn("fg\r")
	if got := s.waitForeground(comm, shell); got != pgrp {
		s.t.Fatalf("fg brought group %d to the foreground, want %d", got, pgrp)
	}
	eventually(s.t, "the job runs again", func() bool { return procState(pgrp) != "T" })
	s.typeIn("\x03")
	if rc := s.lastStatus(); rc != "130" {
		s.t.Fatalf("Ctrl-C after fg: status %s, want 130", rc)
	}
}

// shellState has the shell print its own pid, session, process group,
// controlling terminal and that terminal's foreground group, from
// /proc/self/stat (read by the shell itself: read is a builtin).
func (s *screen) shellState() (pid, ppid, pgrp, sid, ttyNr, tpgid int) {
	s.t.Helper()
	s.typeIn(`read -r pid comm state ppid pgrp sid tty tpgid rest < /proc/self/stat; echo "STAT $pid $ppid $pgrp $sid $tty $tpgid"` + "\r")
	_, m := s.waitFor(shellStat)
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return n[0], n[1], n[2], n[3], n[4], n[5]
}

// As PID 1 of a container with a terminal: runc makes the container's first
// process lead a new session with the terminal as its controlling terminal,
// which "setsid --ctty" reproduces inside the new PID namespace. (Were
// unshare, outside, to hold the terminal instead, PID 1 would not lead the
// terminal's session and could not hand it to a shell in a session of its
// own: a situation no container runtime creates.)
func TestTerminalJobControlAsPID1(t *testing.T) {
	cases := []struct {
		name  string
		argv  []string
		leads bool // the shell leads its own session, rather than PID 1's
	}{
		{"podinit", []string{podinitBin, "--"}, true},
		{"dumb-init", []string{filepath.Join(binDir, "dumb-init"), "--"}, true},
		{"tini", []string{filepath.Join(binDir, "tini"), "--"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			argv := append([]string{"unshare", "--pid", "--fork", "--mount-proc", "setsid", "--ctty"}, c.argv...)
			s := startScreen(t, append(argv, "bash", "--norc", "--noprofile", "-i")...)
			s.run("true")

			pid, ppid, pgrp, sid, tty, tpgid := s.shellState()
			if ppid != 1 {
				t.Fatalf("the shell's parent is %d, want PID 1", ppid)
			}
			if want := ttyNr(t, s.tty); tty != want {
				t.Fatalf("the shell's controlling terminal is %d, want %d (%s)", tty, want, s.tty)
			}
			if tpgid != pgrp {
				t.Fatalf("the terminal's foreground group is %d, the shell's group %d: the shell does not own the terminal", tpgid, pgrp)
			}
			if c.leads && (sid != pid || pgrp != pid) {
				t.Fatalf("shell pid %d, session %d, group %d: want it to lead its own session", pid, sid, pgrp)
			}
			if !c.leads && (sid != 1 || pgrp != pid) {
				t.Fatalf("shell pid %d, session %d, group %d: want its own group in PID 1's session", pid, sid, pgrp)
			}
			shell := s.foreground()
			s.interruptAndSuspend("sleep 100", "sleep", shell)

			s.typeIn("exit\r")
			s.expectExit(0)
		})
	}
}

// dumb-init run from an interactive shell, as dumb-init's README suggests
// for trying it out: Ctrl-Z must stop the job and give the terminal back to
// the shell, and fg resume it, in both of dumb-init's modes.
func TestTerminalDumbInitUnderAShell(t *testing.T) {
	cases := []struct {
		name string
		args string
	}{
		{"setsid", ""},
		{"single-child", " -c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startScreen(t, "unshare", "--pid", "--fork", "--mount-proc", "setsid", "--ctty", "bash", "--norc", "--noprofile", "-i")
			s.run("true")
			shell := s.foreground()

			job := "$DI" + c.args + " sleep 100"
			s.typeIn(job + "\r")
			dumbInit := s.waitForeground("dumb-init", shell)
			var app int
			eventually(t, "dumb-init starts sleep", func() bool {
				for _, pid := range childrenOf(dumbInit) {
					if commOf(pid) == "sleep" {
						app = pid
						return true
					}
				}
				return false
			})
			s.typeIn("\x1a")
			s.waitFor(stopped)
			eventually(t, "dumb-init and its app are stopped", func() bool {
				return procState(dumbInit) == "T" && procState(app) == "T"
			})
			s.typeIn("fg\r")
			eventually(t, "dumb-init and its app run again", func() bool {
				return s.foreground() == dumbInit && procState(dumbInit) != "T" && procState(app) != "T"
			})
			s.typeIn("\x03")
			if rc := s.lastStatus(); rc != "130" {
				t.Fatalf("Ctrl-C: dumb-init's status %s, want 130 (its app's SIGINT)", rc)
			}
			s.typeIn("exit\r")
			s.expectExit(0)
		})
	}
}

// childrenOf lists pid's children. /proc/PID/task/TID/children lists only
// those a given thread forked, and podinit forks from any of its threads.
func childrenOf(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := ppidOf(child); ok && ppid == pid {
			out = append(out, child)
		}
	}
	return out
}
