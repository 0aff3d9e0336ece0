package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// sigRT is SIGRTMIN+5 as C programs number it (glibc keeps 32 and 33).
const sigRT = unix.Signal(39)

// sigTarget is a signal receiver, under an init or alone, and where the
// bench sends it signals.
type sigTarget struct {
	in      initUnderTest
	cmd     *exec.Cmd
	pid     int            // the init's host pid, or the receiver's own without init
	reports *os.File       // the receiver's fd 3
	stdin   io.WriteCloser // closing it ends the receiver, and so the init
	stdout  *os.File       // the read end of the init's full stdout pipe, if it has one
}

// startReceiver starts the receiver for sig under in (noInit: directly as a
// child of the bench) and waits until it is ready.
func startReceiver(in initUnderTest, self string, sig unix.Signal) (*sigTarget, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := helperCommand(in, self, modeSigWrap, pw, strconv.Itoa(int(sig)))
	if sig == unix.SIGTERM {
		cmd = helperCommand(in, self, modeTerm, pw) // see termrecv.go
	}
	var outR, outW *os.File
	if in.stdout != toDevNull {
		if outR, outW, err = os.Pipe(); err != nil {
			pr.Close()
			pw.Close()
			return nil, err
		}
		cmd.Stdout = outW
	}
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	pw.Close()
	if err != nil {
		pr.Close()
		if outR != nil {
			outR.Close()
			outW.Close()
		}
		return nil, err
	}
	t := &sigTarget{in: in, cmd: cmd, pid: cmd.Process.Pid, reports: pr, stdin: stdin}
	switch in.stdout {
	case toReader:
		// Read to the end, which comes when the init and its app have
		// exited and closed their copies.
		outW.Close()
		go func() {
			_, _ = io.Copy(io.Discard, outR)
			outR.Close()
		}()
	case toFullPipe, toFullNonblocking:
		t.stdout = outR
	}
	full := in.stdout == toFullPipe || in.stdout == toFullNonblocking
	if _, err := t.next(waitReport); err != nil {
		if full {
			outW.Close()
		}
		t.stop()
		return nil, fmt.Errorf("%s: receiver not ready: %w", in.name, err)
	}
	if full {
		// Filled only now, so that the init's start-up lines found room:
		// what is measured is an init whose stdout fills while it runs.
		err := fillPipe(outW)
		if err == nil && in.stdout == toFullNonblocking {
			// The flag is the file description's, which the init shares.
			err = unix.SetNonblock(int(outW.Fd()), true)
		}
		outW.Close()
		if err != nil {
			t.stop()
			return nil, fmt.Errorf("%s: fill its stdout: %w", in.name, err)
		}
	}
	if in.path != "" {
		// The receiver is ready, so the init that started it exists.
		if t.pid, err = initPID(cmd.Process.Pid); err != nil {
			t.stop()
			return nil, fmt.Errorf("%s: %w", in.name, err)
		}
	}
	return t, nil
}

// fillPipe fills the pipe whose write end is w until a write would block.
// It writes through a file description of its own, opened with O_NONBLOCK
// by /proc/self/fd (opening that path opens the pipe anew, where dup(2)
// would share the flags), so the init's stdout stays blocking. Writes of up
// to PIPE_BUF bytes are all or nothing, hence the single bytes at the end:
// they use the last byte of room a page-sized write could not.
func fillPipe(w *os.File) error {
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", w.Fd()), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, size := range []int{4096, 1} {
		b := make([]byte, size)
		for {
			_, err := unix.Write(fd, b)
			if err == unix.EAGAIN {
				break
			}
			if err != nil && err != unix.EINTR {
				return err
			}
		}
	}
	return nil
}

// next returns the next time the receiver reported.
func (t *sigTarget) next(timeout time.Duration) (int64, error) {
	_ = t.reports.SetReadDeadline(time.Now().Add(timeout))
	var b [reportRecord]byte
	if _, err := io.ReadFull(t.reports, b[:]); err != nil {
		return 0, err
	}
	return int64(binary.NativeEndian.Uint64(b[:])), nil
}

// stop ends the receiver by closing its standard input; the init follows
// it out. One that does not within 10 s is killed.
func (t *sigTarget) stop() error { return t.stopWithin(10 * time.Second) }

// stopWithin is stop with a deadline of d. The error says whether the init
// (or, without one, the receiver) exited 0 by itself in time.
func (t *sigTarget) stopWithin(d time.Duration) error {
	if t.stdout != nil {
		// An init blocked on a full stdout gets EPIPE now and can go on
		// to exit.
		t.stdout.Close()
	}
	t.stdin.Close()
	err := waitWithin(t.cmd, d)
	t.reports.Close()
	return err
}

// latencyResult is the signal forwarding latency through one init.
type latencyResult struct {
	micros sample // from kill(2) to the receiver's read of the signalfd
	sent   int
	lost   int // signals that got no report within a second

	// The init's own cost over all its signals, per signal sent: context
	// switches summed over its threads, and CPU from its CPU clock. NaN
	// without an init.
	switches, cpuMicros float64
}

// measureLatency sends n SIGUSR1s through every init, and straight to a
// receiver without init, round-robin, one signal in flight at a time.
func measureLatency(inits []initUnderTest, self string, n int) (map[string]*latencyResult, error) {
	var targets []*sigTarget
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	for _, in := range withNoInit(inits) {
		t, err := startReceiver(in, self, unix.SIGUSR1)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	out := make(map[string]*latencyResult)
	before := make(map[string]initCost)
	for _, t := range targets {
		out[t.in.name] = &latencyResult{switches: math.NaN(), cpuMicros: math.NaN()}
		if t.in.path != "" {
			c, err := costOf(t.pid)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.in.name, err)
			}
			before[t.in.name] = c
		}
	}
	for range n {
		for _, t := range targets {
			if err := pingOnce(t, out[t.in.name]); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range targets {
		c0, ok := before[t.in.name]
		r := out[t.in.name]
		if !ok || r.sent == 0 {
			continue
		}
		c1, err := costOf(t.pid)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.in.name, err)
		}
		r.switches = float64(c1.switches-c0.switches) / float64(r.sent)
		r.cpuMicros = us(c1.cpu-c0.cpu) / float64(r.sent)
	}
	return out, nil
}

// initCost is what a process has spent so far: context switches summed
// over its threads, and CPU.
type initCost struct {
	switches int64
	cpu      time.Duration
}

func costOf(pid int) (initCost, error) {
	sw, err := contextSwitches(procfs.Dir(pid))
	if err != nil {
		return initCost{}, err
	}
	cpu, err := processCPU(pid)
	return initCost{switches: sw, cpu: cpu}, err
}

// pingOnce sends one SIGUSR1 and waits for its report. After a loss a target
// gets no more signals: a late report would be taken for the next signal's.
func pingOnce(t *sigTarget, r *latencyResult) error {
	if r.lost > 0 {
		return nil
	}
	sent := monotonic()
	if err := unix.Kill(t.pid, unix.SIGUSR1); err != nil {
		return fmt.Errorf("%s: kill %d: %w", t.in.name, t.pid, err)
	}
	r.sent++
	got, err := t.next(time.Second)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		r.lost++
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", t.in.name, err)
	}
	r.micros = append(r.micros, float64(got-sent)/1e3)
	return nil
}

// burstResult is how many of a burst of real-time signals arrived.
type burstResult struct {
	sent, arrived sample // per round
}

// burstWindow is how long after the last signal of a burst the receiver's
// reports are counted.
const burstWindow = 2 * time.Second

// measureBurst sends bursts of size signal 39s through every init and
// straight to a receiver without init, one target after the other, rounds
// times.
func measureBurst(inits []initUnderTest, self string, rounds, size int) (map[string]*burstResult, error) {
	all := withNoInit(inits)
	out := make(map[string]*burstResult)
	for _, in := range all {
		out[in.name] = &burstResult{}
	}
	for range rounds {
		for _, in := range all {
			sent, arrived, err := burstRound(in, self, size)
			if err != nil {
				return nil, err
			}
			r := out[in.name]
			r.sent = append(r.sent, float64(sent))
			r.arrived = append(r.arrived, float64(arrived))
		}
	}
	return out, nil
}

// burstRound sends size signal 39s as fast as kill(2) goes and counts the
// receiver's reports until burstWindow after the last. Real-time signals
// queue, so none may be lost on the way; a kill that fails (the queue of
// pending signals is full) is not counted as sent.
func burstRound(in initUnderTest, self string, size int) (sent, arrived int, err error) {
	t, err := startReceiver(in, self, sigRT)
	if err != nil {
		return 0, 0, err
	}
	defer t.stop()
	for range size {
		if unix.Kill(t.pid, sigRT) == nil {
			sent++
		}
	}
	_ = t.reports.SetReadDeadline(time.Now().Add(burstWindow))
	total, err := io.Copy(io.Discard, t.reports)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, 0, fmt.Errorf("%s: %w", in.name, err)
	}
	return sent, int(total / reportRecord), nil
}
