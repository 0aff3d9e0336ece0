package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
)

// The /proc readers take a directory such as /proc/1234, so the reaping
// helper can read its own namespace's /proc/1 and the bench the host's view.

// cpuTicks is utime+stime (fields 14 and 15 of proc(5)) in clock ticks,
// summed over the process's threads, living and dead.
func cpuTicks(dir string) (int64, error) {
	f, err := procfs.StatFields(dir)
	if err != nil {
		return 0, err
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("%s/stat: %d fields", dir, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s/stat: bad utime %q or stime %q", dir, f[11], f[12])
	}
	return utime + stime, nil
}

// isZombie reports whether DIR is a process that has exited and waits to be
// reaped. A process that is already gone is not one.
func isZombie(dir string) bool {
	f, err := procfs.StatFields(dir)
	return err == nil && len(f) > 0 && f[0] == "Z"
}

// statusField returns the number in the "Key:" line of DIR/status.
func statusField(dir, key string) (int64, error) {
	f, err := os.Open(dir + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/status: %s: %w", dir, key, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s/status: no %s", dir, key)
}

// contextSwitches sums voluntary and involuntary context switches over the
// threads of the process in DIR: each is a time the process went to sleep or
// was put aside, so between two readings it counts the process's wakeups.
// The process-wide status counts the main thread only, hence the sum.
func contextSwitches(dir string) (int64, error) {
	tasks, err := filepath.Glob(dir + "/task/*")
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("%s: no threads", dir)
	}
	var sum int64
	for _, t := range tasks {
		for _, key := range []string{"voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"} {
			n, err := statusField(t, key)
			if err != nil {
				return 0, err
			}
			sum += n
		}
	}
	return sum, nil
}

// children returns the children of process pid's main thread, which for a
// single-threaded parent such as unshare are all its children.
func children(pid int) ([]int, error) {
	dir := procfs.Dir(pid)
	b, err := os.ReadFile(dir + "/task/" + strconv.Itoa(pid) + "/children")
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, s := range strings.Fields(string(b)) {
		k, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%s: child %q: %w", dir, s, err)
		}
		kids = append(kids, k)
	}
	return kids, nil
}

// threadsChildren returns the children of all the threads of process pid:
// a Go init may fork from any of its threads, and each thread's children
// file lists only the children it forked.
func threadsChildren(pid int) ([]int, error) {
	tasks, err := filepath.Glob(procfs.Dir(pid) + "/task/*")
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("%s: no threads", procfs.Dir(pid))
	}
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile(t + "/children")
		if err != nil {
			continue // a thread that has just exited
		}
		for _, s := range strings.Fields(string(b)) {
			k, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%s: child %q: %w", t, s, err)
			}
			kids = append(kids, k)
		}
	}
	return kids, nil
}

// processCPU is the CPU time of process pid (all its threads) from the
// kernel's per-process CPU clock: nanoseconds where utime+stime counts 10 ms
// ticks. The clock id encoding is MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
// from include/linux/posix-timers.h; any process may read any other's.
func processCPU(pid int) (time.Duration, error) {
	const cpuclockSched = 2
	clock := int32(^uint32(pid)<<3 | cpuclockSched)
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0, fmt.Errorf("CPU clock of pid %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// monotonic is CLOCK_MONOTONIC in nanoseconds, the clock every process of a
// measurement reads, across namespaces.
func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
