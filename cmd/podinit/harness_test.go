package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// The tests run the built podinit binary as a user would: as the real PID 1 of
// a new PID namespace (unshare --pid --fork --mount-proc), with this test
// binary re-executed as the application. A helper reports what it sees, one
// line at a time, on file descriptor 3, which podinit passes through like
// every descriptor it inherits; podinit's own output is kept apart.

const helperEnv = "GO_TEST_HELPER"

// deadline bounds every wait in these tests; reaching it is a failure.
const deadline = 60 * time.Second

var (
	podinitBin string // the binary under test
	binDir     string // holds podinit and its tini and dumb-init names
	helperBin  string // runs the helpers: this test binary, or a plain build of it
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(runHelper(os.Args[1], os.Args[2:]))
	}
	var err error
	binDir, err = os.MkdirTemp("", "podinit-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all: a test runs hooks as another user.
	if err := os.Chmod(binDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The binary under test is built as it ships: static, without cgo. With
	// PODINIT_TEST_RACE=1 (make race) it is built with the race detector
	// instead, which links the C library and so is not what users run.
	podinitBin = filepath.Join(binDir, "podinit")
	args := []string{"build", "-trimpath", "-o", podinitBin}
	cgo := "CGO_ENABLED=0"
	if os.Getenv("PODINIT_TEST_RACE") == "1" {
		args, cgo = append(args, "-race"), "CGO_ENABLED=1"
	}
	build := exec.Command("go", append(args, ".")...)
	build.Env = append(os.Environ(), cgo)
	if goarch := os.Getenv(goarchEnv); goarch != "" {
		if emulator, err = qemuFor(goarch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		build.Env = append(build.Env, "GOARCH="+goarch)
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building podinit:", err)
		os.Exit(1)
	}
	// Helpers fork thousands of orphans; a race-instrumented process forks
	// far too slowly for that, so under -race they run from a plain build of
	// this test binary, while podinit itself is built with -race.
	helperBin, _ = os.Executable()
	if raceEnabled {
		helperBin = filepath.Join(binDir, "helpers")
		build := exec.Command("go", "test", "-c", "-o", helperBin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the test helpers:", err)
			os.Exit(1)
		}
	}
	for _, name := range []string{"tini", "dumb-init", "docker-init"} {
		if err := os.Symlink("podinit", filepath.Join(binDir, name)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// requireRoot fails, rather than skips, a test that needs a PID namespace:
// every machine these tests run on is meant to provide one.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root, to make podinit PID 1 of a new PID namespace with unshare(1)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("this test needs unshare(1) from util-linux")
	}
}

// helper returns the argv that runs this test binary as the named helper.
func helper(name string, args ...string) []string {
	return append([]string{helperBin, name}, args...)
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a running podinit (wrapped in unshare when it is PID 1).
type proc struct {
	t        *testing.T
	cmd      *exec.Cmd
	pid1     bool
	stdin    io.WriteCloser
	stdout   *syncBuffer
	stderr   *syncBuffer
	reports  chan string
	done     chan struct{}
	exitCode int
}

type options struct {
	pid1  bool     // run as PID 1 of a new PID namespace
	argv0 string   // the name podinit is called by; "" is podinit
	env   []string // added to the test's environment
	wrap  []string // a command that execs podinit, for inherited state
	// stdout, when set, is podinit's standard output instead of a buffer
	// the test reads.
	stdout *os.File
}

// start runs podinit with args. The application's reports arrive on p.reports.
func start(t *testing.T, o options, args ...string) *proc {
	t.Helper()
	name := podinitBin
	if o.argv0 != "" {
		name = filepath.Join(binDir, o.argv0)
	}
	argv := append([]string{name}, args...)
	if emulator != "" {
		argv = append([]string{emulator}, argv...)
	}
	argv = append(append([]string{}, o.wrap...), argv...)
	if o.pid1 {
		requireRoot(t)
		argv = append([]string{"unshare", "--pid", "--fork", "--mount-proc"}, argv...)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, pid1: o.pid1, stdout: &syncBuffer{}, stderr: &syncBuffer{},
		reports: make(chan string, 100000), done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(append(os.Environ(), helperEnv+"=1"), o.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if o.stdout != nil {
		p.cmd.Stdout = o.stdout
	}
	p.cmd.ExtraFiles = []*os.File{w}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.reports <- sc.Text()
		}
		close(p.reports)
	}()
	go func() {
		err := p.cmd.Wait()
		p.exitCode = exitCodeOf(err)
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			// Never kill(-1): podinitPID is -1 once unshare is gone.
			if pid := p.podinitPID(); p.pid1 && pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
	return -1
}

// report waits for the next report line and returns it.
func (p *proc) report() string {
	p.t.Helper()
	select {
	case line, ok := <-p.reports:
		if !ok {
			p.t.Fatalf("the application closed its reports; podinit output:\n%s%s", p.stdout, p.stderr)
		}
		return line
	case <-time.After(deadline):
		p.t.Fatalf("no report within %s; podinit output:\n%s%s", deadline, p.stdout, p.stderr)
	}
	return ""
}

// expect waits for a report equal to want, failing on any other.
func (p *proc) expect(want string) {
	p.t.Helper()
	if got := p.report(); got != want {
		p.t.Fatalf("report %q, want %q; podinit output:\n%s%s", got, want, p.stdout, p.stderr)
	}
}

// expectPrefix waits for a report starting with prefix and returns the rest.
func (p *proc) expectPrefix(prefix string) string {
	p.t.Helper()
	got := p.report()
	rest, ok := strings.CutPrefix(got, prefix)
	if !ok {
		p.t.Fatalf("report %q, want one starting %q; podinit output:\n%s%s", got, prefix, p.stdout, p.stderr)
	}
	return rest
}

// podinitPID is podinit's pid as seen from the test: unshare's only child
// when podinit is PID 1 of its own namespace.
func (p *proc) podinitPID() int {
	if !p.pid1 {
		return p.cmd.Process.Pid
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.cmd.Process.Pid, p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return pid
}

// signal sends sig to podinit.
func (p *proc) signal(sig unix.Signal) {
	p.t.Helper()
	pid := p.podinitPID()
	if pid <= 0 {
		p.t.Fatalf("podinit is not running; output:\n%s%s", p.stdout, p.stderr)
	}
	if err := unix.Kill(pid, sig); err != nil {
		p.t.Fatalf("kill %d %d: %v", pid, sig, err)
	}
}

// wait waits for podinit to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	p.stdin.Close()
	select {
	case <-p.done:
		return p.exitCode
	case <-time.After(deadline):
		p.t.Fatalf("podinit still running after %s; output:\n%s%s", deadline, p.stdout, p.stderr)
	}
	return -1
}

// expectExit waits for podinit to exit with want.
func (p *proc) expectExit(want int) {
	p.t.Helper()
	if got := p.wait(); got != want {
		p.t.Fatalf("podinit exited %d, want %d; output:\n%s%s", got, want, p.stdout, p.stderr)
	}
}

// runPodinit runs podinit to completion and returns its exit code and output.
func runToEnd(t *testing.T, o options, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, o, args...)
	code = p.wait()
	return code, p.stdout.String(), p.stderr.String()
}

// zombiesUnder lists the zombie children of pid.
func zombiesUnder(pid int) []int {
	var zombies []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(pid) {
			zombies = append(zombies, child)
		}
	}
	return zombies
}

// eventually checks cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, deadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ppidOf reads pid's parent from /proc.
func ppidOf(pid int) (int, bool) { return procfs.Parent(pid) }
