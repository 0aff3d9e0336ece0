package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Helpers are this test binary re-executed as podinit's application. Each
// reports on fd 3 and most run until their standard input closes, which is
// how a test ends them without a signal.

var reportFile = os.NewFile(3, "reports")

func reportf(format string, args ...any) {
	fmt.Fprintf(reportFile, format+"\n", args...)
}

func waitStdinClosed() { _, _ = io.Copy(io.Discard, os.Stdin) }

func runHelper(name string, args []string) int {
	switch name {
	case "exit":
		code, _ := strconv.Atoi(args[0])
		return code
	case "record-signals":
		return recordSignals(args)
	case "ignore-term":
		signal.Ignore(unix.SIGTERM)
		reportf("ready")
		select {}
	case "orphans":
		return makeOrphans(args)
	case "exit-with-orphans":
		return exitWithOrphans(args)
	case "leftovers":
		return leaveLeftovers(args)
	case "report-state":
		return reportState()
	case "count-signals":
		return countSignals(args)
	case "with-mask":
		return execWithMask(args)
	case "stamp-signals":
		return stampSignals()
	case "serve-tcp":
		return serveTCP(args)
	case "pid":
		reportf("pid %d ppid %d", os.Getpid(), os.Getppid())
		waitStdinClosed()
		return 0
	case "leave-member":
		return leaveMember(args)
	case "member-until-term":
		return memberUntilTerm()
	case "flood-until-term":
		return floodUntilTerm(args)
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 2
}

// recordSignals reports every signal it receives as "ROLE got N". With
// "from-inside" it sends PID 1 each signal number read from its standard
// input. With "group" it first starts a second copy in its own process group, the
// "member", so a test can see which of the two a signal reached.
func recordSignals(args []string) int {
	role := "app"
	if len(args) > 0 && args[0] == "member" {
		role = "member"
	}
	c := make(chan os.Signal, 1024)
	signal.Notify(c)
	if len(args) > 0 && args[0] == "group" {
		member := exec.Command(os.Args[0], "record-signals", "member")
		member.Env = os.Environ()
		member.Stdin, member.Stderr = os.Stdin, os.Stderr
		member.ExtraFiles = []*os.File{reportFile}
		out, _ := member.StdoutPipe()
		if err := member.Start(); err != nil {
			reportf("error %v", err)
			return 1
		}
		// The member says it is ready on its stdout, so that "ready" on
		// fd 3 means both processes are listening.
		_, _ = bufio.NewReader(out).ReadString('\n')
		defer member.Wait()
	}
	if role == "member" {
		fmt.Println("ready")
	} else {
		reportf("ready %d %d", os.Getpid(), unix.Getpgrp())
	}
	// A background job's standard input is /dev/null: "until-term" runs
	// until SIGTERM instead.
	untilTerm := len(args) > 0 && args[0] == "until-term"
	if len(args) > 0 && args[0] == "from-inside" {
		// Each line of standard input is a signal number to send PID 1,
		// from inside its PID namespace as any process of a container can.
		go func() {
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				n, _ := strconv.Atoi(sc.Text())
				if err := unix.Kill(1, unix.Signal(n)); err != nil {
					reportf("error kill %d 1: %v", n, err)
				}
			}
			os.Exit(0)
		}()
	} else if !untilTerm {
		go func() {
			waitStdinClosed()
			os.Exit(0)
		}()
	}
	for s := range c {
		sig := s.(syscall.Signal)
		if sig == unix.SIGURG || sig == unix.SIGCHLD {
			continue // the Go runtime's own, and our member's exit
		}
		reportf("%s got %d", role, int(sig))
		if untilTerm && sig == unix.SIGTERM {
			return 0
		}
	}
	return 0
}

// forkOrphan makes a grandchild that outlives its parent: a clone of this
// process, which clones once more and exits, so the grandchild is re-parented
// to the nearest reaper. The grandchild exits at once, or when fd hold (when
// not -1) reaches end of file. Only raw system calls run in the clones: they
// have one thread of a many-threaded Go process and must not touch the
// runtime. The parent returns the pid of the intermediate clone.
//
//go:norace
//go:nosplit
func forkOrphan(hold int) int {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 {
		return -1
	}
	if pid != 0 {
		return int(pid)
	}
	pid, _, _ = syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if pid == 0 && hold >= 0 {
		var b [1]byte
		syscall.RawSyscall(syscall.SYS_READ, uintptr(hold), uintptr(unsafe.Pointer(&b[0])), 1)
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	return 0
}

// orphan makes one orphan and reaps the intermediate clone.
func orphan(hold int) error {
	// No signal may reach the clones while they run Go code.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := forkOrphan(hold)
	if pid < 0 {
		return fmt.Errorf("clone failed")
	}
	var ws unix.WaitStatus
	_, err := unix.Wait4(pid, &ws, 0, nil)
	return err
}

// makeOrphans N: N orphans that exit at once, then "orphaned N"; it exits
// when its standard input closes.
func makeOrphans(args []string) int {
	n, _ := strconv.Atoi(args[0])
	for i := 0; i < n; i++ {
		if err := orphan(-1); err != nil {
			reportf("error %v", err)
			return 1
		}
	}
	reportf("orphaned %d", n)
	waitStdinClosed()
	return 0
}

// exitWithOrphans N CODE: N orphans that all exit the moment this process
// exits with CODE, because each waits for the end of a pipe only it holds.
func exitWithOrphans(args []string) int {
	n, _ := strconv.Atoi(args[0])
	code, _ := strconv.Atoi(args[1])
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		return 1
	}
	for i := 0; i < n; i++ {
		if err := orphan(fds[0]); err != nil {
			reportf("error %v", err)
			return 1
		}
	}
	unix.Close(fds[0])
	reportf("orphaned %d", n)
	waitStdinClosed()
	return code
}

// leaveLeftovers CODE: starts two processes that outlive it, one that dies on
// SIGTERM and one that ignores it, reports their pids and exits with CODE
// when its standard input closes.
func leaveLeftovers(args []string) int {
	code, _ := strconv.Atoi(args[0])
	polite := exec.Command("sleep", "1000")
	stubborn := exec.Command("sh", "-c", "trap '' TERM; echo ready; exec sleep 1000")
	out, _ := stubborn.StdoutPipe()
	for _, c := range []*exec.Cmd{polite, stubborn} {
		if err := c.Start(); err != nil {
			reportf("error %v", err)
			return 1
		}
	}
	// Only once the shell has said so does it ignore SIGTERM.
	_, _ = bufio.NewReader(out).ReadString('\n')
	reportf("leftovers %d %d", polite.Process.Pid, stubborn.Process.Pid)
	waitStdinClosed()
	return code
}

// reportState reports what the application inherited: its blocked and
// ignored signals, its working directory and podinit's, its session and
// process group, and whether it has a controlling terminal.
func reportState() int {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		for _, field := range []string{"SigBlk:", "SigIgn:"} {
			if v, ok := strings.CutPrefix(line, field); ok {
				reportf("%s %s", strings.TrimSuffix(field, ":"), strings.TrimSpace(v))
			}
		}
	}
	cwd, _ := os.Getwd()
	parentCwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", os.Getppid()))
	reportf("cwd %s parent-cwd %s", cwd, parentCwd)
	sid, _ := unix.Getsid(0)
	reportf("pid %d sid %d pgrp %d", os.Getpid(), sid, unix.Getpgrp())
	waitStdinClosed()
	return 0
}

// execWithMask SIGNALS ARGV...: blocks the comma-separated signal numbers and
// execs ARGV, which inherits the mask as an init inherits it from a runtime.
func execWithMask(args []string) int {
	runtime.LockOSThread()
	var set unix.Sigset_t
	for _, s := range strings.Split(args[0], ",") {
		n, _ := strconv.Atoi(s)
		set.Val[(n-1)/64] |= 1 << ((n - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err := syscall.Exec(args[1], args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// countSignals SIG N: reads SIG, which must be blocked since exec (see
// with-mask), from a signalfd, and reports "counted N" once N have arrived.
func countSignals(args []string) int {
	sig, _ := strconv.Atoi(args[0])
	want, _ := strconv.Atoi(args[1])
	var set unix.Sigset_t
	set.Val[(sig-1)/64] |= 1 << ((sig - 1) % 64)
	fd, err := unix.Signalfd(-1, &set, unix.SFD_CLOEXEC)
	if err != nil {
		reportf("error %v", err)
		return 1
	}
	reportf("ready")
	buf := make([]byte, 128*64)
	for n := 0; n < want; {
		got, err := unix.Read(fd, buf)
		if err != nil {
			reportf("error %v", err)
			return 1
		}
		n += got / 128
	}
	reportf("counted %d", want)
	waitStdinClosed()
	return 0
}

// leaveMember CODE: starts a member of its process group that records
// signals until SIGTERM, reports "ready PID PGRP MEMBER" once the member
// listens, and exits with CODE when its standard input closes, leaving the
// member behind, so a test sees what an init sends the app's group after the
// app has gone.
func leaveMember(args []string) int {
	code, _ := strconv.Atoi(args[0])
	// The member's standard input is /dev/null and its standard error is
	// not podinit's, so that neither keeps the test waiting for it.
	member := exec.Command(os.Args[0], "member-until-term")
	member.Env = os.Environ()
	member.ExtraFiles = []*os.File{reportFile}
	out, _ := member.StdoutPipe()
	if err := member.Start(); err != nil {
		reportf("error %v", err)
		return 1
	}
	_, _ = bufio.NewReader(out).ReadString('\n')
	reportf("ready %d %d %d", os.Getpid(), unix.Getpgrp(), member.Process.Pid)
	waitStdinClosed()
	return code
}

// memberUntilTerm says "ready" on its standard output, then reports every
// signal as "member got N" until SIGTERM ends it.
func memberUntilTerm() int {
	c := make(chan os.Signal, 1024)
	signal.Notify(c)
	fmt.Println("ready")
	for s := range c {
		sig := s.(syscall.Signal)
		if sig == unix.SIGURG || sig == unix.SIGCHLD {
			continue // the Go runtime's own
		}
		reportf("member got %d", int(sig))
		if sig == unix.SIGTERM {
			return 0
		}
	}
	return 0
}
