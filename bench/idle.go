package main

import (
	"fmt"
	"time"

	"github.com/podinit/podinit/procfs"
)

// idleSettle lets an init finish starting (and the Go runtime's background
// work after start, such as the first GC cycles, die down) before the window.
const idleSettle = time.Second

// idleResult is what an init costs while its application sleeps, one entry
// per round.
type idleResult struct {
	rssKiB  sample // VmRSS at the end of the window
	anonKiB sample // RssAnon then: the part that is the process's own, not file pages it shares
	ticks   sample // utime+stime during the window, in clock ticks
	wakeups sample // context switches of all its threads during the window
	threads sample // at the end of the window
}

// measureIdle runs `INIT sleep 1000` for each init in turn, rounds times, and
// watches the init for window seconds.
func measureIdle(inits []initUnderTest, rounds, window int) (map[string]*idleResult, error) {
	out := make(map[string]*idleResult)
	for _, in := range inits {
		out[in.name] = &idleResult{}
	}
	for range rounds {
		for _, in := range inits {
			if err := idleRound(in, time.Duration(window)*time.Second, out[in.name]); err != nil {
				return nil, fmt.Errorf("%s: %w", in.name, err)
			}
		}
	}
	return out, nil
}

func idleRound(in initUnderTest, window time.Duration, r *idleResult) error {
	cmd := nsCommand(in, "sleep", "1000")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stopNamespace(cmd)
	time.Sleep(idleSettle) // a measurement window, not a synchronisation
	pid, err := initPID(cmd.Process.Pid)
	if err != nil {
		return err
	}
	dir := procfs.Dir(pid)
	ticks0, err := cpuTicks(dir)
	if err != nil {
		return err
	}
	switches0, err := contextSwitches(dir)
	if err != nil {
		return err
	}
	time.Sleep(window) // the measurement window itself
	ticks1, err := cpuTicks(dir)
	if err != nil {
		return err
	}
	switches1, err := contextSwitches(dir)
	if err != nil {
		return err
	}
	rss, err := statusField(dir, "VmRSS")
	if err != nil {
		return err
	}
	anon, err := statusField(dir, "RssAnon")
	if err != nil {
		return err
	}
	threads, err := statusField(dir, "Threads")
	if err != nil {
		return err
	}
	r.ticks = append(r.ticks, float64(ticks1-ticks0))
	r.wakeups = append(r.wakeups, float64(switches1-switches0))
	r.rssKiB = append(r.rssKiB, float64(rss))
	r.anonKiB = append(r.anonKiB, float64(anon))
	r.threads = append(r.threads, float64(threads))
	return nil
}
