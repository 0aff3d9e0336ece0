package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// reapResult is one reaping round, measured by the orphans helper inside the
// namespace and reported as JSON on fd 3.
type reapResult struct {
	Total       time.Duration // from the first orphan's creation until no zombie is left
	Lag         time.Duration // from the last orphan's exit until it is gone from /proc
	ZombiesLeft int           // zombies still there when the helper stopped waiting
	InitTicks   int64         // the init's utime+stime during the round, in clock ticks
	InitCPU     time.Duration // the same from the init's CPU clock, to the nanosecond
	// InitSwitches is the init's context switches during the round, summed
	// over its threads: each is a time one of them went to sleep or was put
	// aside, so it counts the wakeups that reaping cost.
	InitSwitches int64
}

// reapDeadline bounds each wait of the helper: an init that does not reap
// shows as zombies left, not as a hung bench.
const reapDeadline = 10 * time.Second

// measureReaping runs the orphans helper under each init in turn, rounds
// times.
func measureReaping(inits []initUnderTest, self string, rounds, orphans int) (map[string][]reapResult, error) {
	out := make(map[string][]reapResult)
	for range rounds {
		for _, in := range inits {
			res, err := reapRound(in, self, orphans)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", in.name, err)
			}
			out[in.name] = append(out[in.name], res)
		}
	}
	return out, nil
}

func reapRound(in initUnderTest, self string, orphans int) (reapResult, error) {
	var res reapResult
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, err
	}
	defer pr.Close()
	cmd := helperCommand(in, self, modeOrphans, pw, strconv.Itoa(orphans))
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return res, err
	}
	_ = pr.SetReadDeadline(time.Now().Add(2 * time.Minute))
	if err := json.NewDecoder(pr).Decode(&res); err != nil {
		stopNamespace(cmd)
		return res, fmt.Errorf("no report from the orphans helper: %w", err)
	}
	// The helper has exited or is about to, and the init with it.
	return res, waitWithin(cmd, reapDeadline)
}

// orphansHelper N makes N orphans that exit at once, the last one timed, and
// reports how the namespace's init (its PID 1) coped.
func orphansHelper(args []string) error {
	n, err := intArg(args)
	if err != nil {
		return err
	}
	res, err := timeOrphans(n)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return writeReport(append(b, '\n'))
}

func timeOrphans(n int) (reapResult, error) {
	var res reapResult
	ticks0, cpu0, err := initCPU()
	if err != nil {
		return res, err
	}
	switches0, err := contextSwitches("/proc/1")
	if err != nil {
		return res, err
	}
	start := monotonic()
	if err := makeOrphans(n - 1); err != nil {
		return res, err
	}
	pid, exited, err := timedOrphan()
	if err != nil {
		return res, err
	}
	// An init that does not reap shows as a lag of the whole deadline and
	// as zombies left.
	gone := waitGone(pid, monotonic()+int64(reapDeadline))
	zombies, done, err := waitNoZombies(monotonic() + int64(reapDeadline))
	if err != nil {
		return res, err
	}
	ticks1, cpu1, err := initCPU()
	if err != nil {
		return res, err
	}
	switches1, err := contextSwitches("/proc/1")
	if err != nil {
		return res, err
	}
	res.InitSwitches = switches1 - switches0
	res.Total = time.Duration(done - start)
	res.Lag = time.Duration(gone - exited)
	res.ZombiesLeft = zombies
	res.InitTicks, res.InitCPU = ticks1-ticks0, cpu1-cpu0
	return res, nil
}

// initCPU reads the CPU time of the namespace's init, PID 1, both ways.
func initCPU() (ticks int64, cpu time.Duration, err error) {
	if ticks, err = cpuTicks("/proc/1"); err != nil {
		return 0, 0, err
	}
	cpu, err = processCPU(1)
	return ticks, cpu, err
}

// makeOrphans makes n orphans, one after the other, each of which exits at
// once.
func makeOrphans(n int) error {
	return withSignalsBlocked(func() error {
		for range n {
			pid, errno := spawnOrphan()
			if errno != 0 {
				return fmt.Errorf("clone: %w", unix.Errno(errno))
			}
			if err := reapClone(pid); err != nil {
				return err
			}
		}
		return nil
	})
}

// withSignalsBlocked runs fn on a locked thread with every signal blocked.
// The orphan makers' children share the thread's stack and inherit its
// mask: no signal handler may push a frame while they run, or run in them.
func withSignalsBlocked(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old); err != nil {
		return fmt.Errorf("block signals: %w", err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	return fn()
}

// reapClone waits for an intermediate child, which exits at once. __WALL
// because the children of the amd64 orphan makers have no exit signal.
func reapClone(pid int) error {
	for {
		_, err := unix.Wait4(pid, nil, unix.WALL, nil)
		if err != unix.EINTR {
			if err != nil {
				return fmt.Errorf("wait for clone %d: %w", pid, err)
			}
			return nil
		}
	}
}

// exitReport is what the timed orphan writes just before it exits: its pid
// and the CLOCK_MONOTONIC time of its exit (a struct timespec).
type exitReport struct {
	pid       int64
	sec, nsec int64
}

// timedOrphan makes the last orphan and returns its pid and the
// CLOCK_MONOTONIC time just before it called exit_group.
func timedOrphan() (pid int, exited int64, err error) {
	var goPipe, reportPipe [2]int
	if err := unix.Pipe2(goPipe[:], unix.O_CLOEXEC); err != nil {
		return 0, 0, err
	}
	defer unix.Close(goPipe[1])
	if err := unix.Pipe2(reportPipe[:], unix.O_CLOEXEC); err != nil {
		unix.Close(goPipe[0])
		return 0, 0, err
	}
	defer unix.Close(reportPipe[0])

	scratch := new(exitReport) // the orphan's memory until it exits
	var mid int
	err = withSignalsBlocked(func() error {
		var errno uintptr
		mid, errno = spawnTimedOrphan(goPipe[0], reportPipe[1], scratch)
		if errno != 0 {
			return fmt.Errorf("clone: %w", unix.Errno(errno))
		}
		return nil
	})
	// Only the orphan keeps these ends, so an orphan that never came to be
	// shows as end of file below rather than a hang.
	unix.Close(goPipe[0])
	unix.Close(reportPipe[1])
	if err != nil {
		return 0, 0, err
	}
	if err := reapClone(mid); err != nil {
		return 0, 0, err
	}
	// Now an orphan of the init's: let it exit.
	if _, err := unix.Write(goPipe[1], []byte{1}); err != nil {
		return 0, 0, fmt.Errorf("release the last orphan: %w", err)
	}
	pid, exited, err = readExitReport(reportPipe[0])
	runtime.KeepAlive(scratch)
	return pid, exited, err
}

func readExitReport(fd int) (pid int, exited int64, err error) {
	var b [unsafe.Sizeof(exitReport{})]byte
	n, err := unix.Read(fd, b[:])
	for err == unix.EINTR {
		n, err = unix.Read(fd, b[:])
	}
	if err != nil || n != len(b) {
		return 0, 0, fmt.Errorf("read the last orphan's report: %d bytes, %v", n, err)
	}
	r := exitReport{
		pid:  int64(binary.NativeEndian.Uint64(b[0:])),
		sec:  int64(binary.NativeEndian.Uint64(b[8:])),
		nsec: int64(binary.NativeEndian.Uint64(b[16:])),
	}
	return int(r.pid), r.sec*1e9 + r.nsec, nil
}

// waitGone busy-polls /proc for pid until the process is gone, zombie
// included, or the deadline passes, and returns when that was. Polling (a
// few microseconds a look) is the only way to see another's child go.
func waitGone(pid int, deadline int64) int64 {
	dir := procfs.Dir(pid)
	for {
		err := unix.Access(dir, unix.F_OK)
		now := monotonic()
		if errors.Is(err, unix.ENOENT) || now > deadline {
			return now
		}
	}
}

// waitNoZombies scans /proc until it holds no zombie or the deadline passes,
// and returns the zombies seen last and when.
func waitNoZombies(deadline int64) (zombies int, at int64, err error) {
	for {
		zombies, err = countZombies()
		at = monotonic()
		if err != nil || zombies == 0 || at > deadline {
			return zombies, at, err
		}
	}
}

func countZombies() (int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		if name[0] >= '0' && name[0] <= '9' && isZombie("/proc/"+name) {
			n++
		}
	}
	return n, nil
}
