package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// initUnderTest is one init and how it is told to run a command.
type initUnderTest struct {
	name    string
	path    string   // empty for the baseline without an init
	flags   []string // between the binary and the command
	version string   // when set, instead of what --version prints
	stdout  sink     // where the init's standard output goes, for the signal receivers
}

// sink is what an init's standard output is connected to.
type sink int

const (
	toDevNull  sink = iota // os/exec's default
	toReader               // a pipe the bench reads and discards
	toFullPipe             // a pipe nobody reads, filled once the app is ready
	// toFullNonblocking is toFullPipe made non-blocking, as a Node.js app
	// leaves the stdout it shares with its init.
	toFullNonblocking
)

// noInit is the baseline: the command itself is PID 1.
var noInit = initUnderTest{name: "no init"}

// withNoInit is inits followed by the no-init baseline, in a new slice.
func withNoInit(inits []initUnderTest) []initUnderTest {
	return append(slices.Clip(inits), noInit)
}

// argv is the command line that makes the init supervise cmd.
func (in initUnderTest) argv(cmd ...string) []string {
	if in.path == "" {
		return cmd
	}
	argv := append([]string{in.path}, in.flags...)
	return append(argv, cmd...)
}

// nsCommand runs cmd under in as PID 1 of a new PID namespace with its own
// /proc, which is what a container runtime gives a container's init.
func nsCommand(in initUnderTest, cmd ...string) *exec.Cmd {
	args := append([]string{"--pid", "--fork", "--mount-proc"}, in.argv(cmd...)...)
	return exec.Command("unshare", args...)
}

// helperCommand runs this binary in a helper mode under in, reporting on
// fd 3 (report): as PID 1's child in a new PID namespace, or, for noInit,
// directly as the bench's child. Every init passes inherited file
// descriptors on to the application.
func helperCommand(in initUnderTest, self, mode string, report *os.File, args ...string) *exec.Cmd {
	cmd := exec.Command(self, args...)
	if in.path != "" {
		cmd = nsCommand(in, append([]string{self}, args...)...)
	}
	cmd.Env = helperEnviron(mode)
	cmd.ExtraFiles = []*os.File{report}
	cmd.Stderr = os.Stderr // a failing helper says why
	return cmd
}

// initPID returns the host pid of the init that `unshare --fork` (pid
// unshare) started: its only child.
func initPID(unshare int) (int, error) {
	kids, err := children(unshare)
	if err != nil {
		return 0, err
	}
	if len(kids) != 1 {
		return 0, fmt.Errorf("unshare (pid %d) has %d children, want 1", unshare, len(kids))
	}
	return kids[0], nil
}

// stopNamespace kills the namespace's init, which makes the kernel kill
// everything else in the namespace, and waits for unshare. An init that has
// already exited is not an error.
func stopNamespace(cmd *exec.Cmd) {
	if pid, err := initPID(cmd.Process.Pid); err == nil {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	_ = waitWithin(cmd, 10*time.Second)
}

// waitWithin waits for cmd, killing unshare and its namespace after d so that
// a hung init cannot hang the bench.
func waitWithin(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		if pid, err := initPID(cmd.Process.Pid); err == nil {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s: timed out after %v", cmd.Args, d)
	}
}
