package main

import (
	"fmt"
	"io"
)

// target is one of the goals for podinit and how it fared.
type target struct {
	goal          string
	podinit, tini string // the measured values compared
	met           bool
}

func printTargets(w io.Writer, r *results) {
	fmt.Fprintf(w, "## Targets\n\n| target | podinit | tini | met |\n|---|---|---|---|\n")
	var all []target
	for _, group := range []func(*results) []target{idleTargets, execTargets, latencyTargets, reapTargets, burstTargets, sizeTargets} {
		all = append(all, group(r)...)
	}
	for _, t := range all {
		verdict := "yes"
		if !t.met {
			verdict = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.goal, t.podinit, t.tini, verdict)
	}
	fmt.Fprintln(w)
}

func idleTargets(r *results) []target {
	pod, tini := r.idle["podinit"], r.idle["tini"]
	per := fmt.Sprintf("%d s", r.idleWindow)
	return []target{
		{
			goal:    "idle: 0 CPU ticks per " + per + " (worst round)",
			podinit: fmt.Sprintf("%.0f", pod.ticks.max()), tini: fmt.Sprintf("%.0f", tini.ticks.max()),
			met: pod.ticks.max() == 0,
		},
		{
			goal:    "idle: 0 wakeups per " + per + " (worst round)",
			podinit: fmt.Sprintf("%.0f", pod.wakeups.max()), tini: fmt.Sprintf("%.0f", tini.wakeups.max()),
			met: pod.wakeups.max() == 0,
		},
		{
			goal:    "idle RSS ≤ 3 MiB (worst round)",
			podinit: fmt.Sprintf("%.0f KiB", pod.rssKiB.max()), tini: fmt.Sprintf("%.0f KiB", tini.rssKiB.max()),
			met: pod.rssKiB.max() <= 3*1024,
		},
	}
}

func execTargets(r *results) []target {
	pod, tini := r.exec["podinit"].overhead.median(), r.exec["tini"].overhead.median()
	return []target{{
		goal:    "exec overhead ≤ 2× tini's (medians)",
		podinit: fmt.Sprintf("%.2f ms (%s tini's)", pod, ratio(pod, tini)), tini: fmt.Sprintf("%.2f ms", tini),
		met: pod <= 2*tini,
	}}
}

func latencyTargets(r *results) []target {
	pod, tini := r.latency["podinit"], r.latency["tini"]
	d := pod.micros.median() - tini.micros.median()
	return []target{{
		goal:    "signal forwarding p50 within 50 µs of tini's, no signal lost",
		podinit: fmt.Sprintf("%.1f µs (%+.1f µs), %d lost", pod.micros.median(), d, pod.lost),
		tini:    fmt.Sprintf("%.1f µs, %d lost", tini.micros.median(), tini.lost),
		met:     d <= 50 && pod.lost == 0 && len(pod.micros) == r.signals,
	}}
}

func reapTargets(r *results) []target {
	zombies := func(n string) sample {
		return r.reapSample(n, func(x reapResult) float64 { return float64(x.ZombiesLeft) })
	}
	lags := func(n string) sample { return r.reapSample(n, func(x reapResult) float64 { return us(x.Lag) }) }
	cpu := func(n string) float64 {
		return r.reapSample(n, func(x reapResult) float64 { return ms(x.InitCPU) }).median()
	}
	k := fmt.Sprintf("reaping %d orphans", r.orphans)
	return []target{
		{
			goal:    k + ": 0 zombies left (worst round)",
			podinit: fmt.Sprintf("%.0f", zombies("podinit").max()), tini: fmt.Sprintf("%.0f", zombies("tini").max()),
			met: zombies("podinit").max() == 0,
		},
		{
			// The median: one late wakeup of any init on a busy machine
			// costs milliseconds, so the worst of three mostly measures luck.
			goal:    k + ": reap lag ≤ 1 ms (median of rounds; worst shown too)",
			podinit: fmt.Sprintf("%.1f µs (worst %.1f µs)", lags("podinit").median(), lags("podinit").max()),
			tini:    fmt.Sprintf("%.1f µs (worst %.1f µs)", lags("tini").median(), lags("tini").max()),
			met:     lags("podinit").median() <= 1000,
		},
		{
			goal:    k + ": init CPU ≤ 2× tini's (medians, CPU clock)",
			podinit: fmt.Sprintf("%.1f ms (%s tini's)", cpu("podinit"), ratio(cpu("podinit"), cpu("tini"))),
			tini:    fmt.Sprintf("%.1f ms", cpu("tini")),
			met:     cpu("podinit") <= 2*cpu("tini"),
		},
	}
}

func burstTargets(r *results) []target {
	pod, tini := r.burst["podinit"], r.burst["tini"]
	n := float64(r.burstSize)
	return []target{{
		goal:    fmt.Sprintf("signal 39 burst: %d of %d arrive (worst round)", r.burstSize, r.burstSize),
		podinit: fmt.Sprintf("%.0f", pod.arrived.min()), tini: fmt.Sprintf("%.0f", tini.arrived.min()),
		met: pod.arrived.min() == n && pod.arrived.max() == n && pod.sent.min() == n,
	}}
}

func sizeTargets(r *results) []target {
	pod, tini := r.sizes["podinit"], r.sizes["tini"]
	return []target{{
		goal:    "binary ≤ 2.5 MiB",
		podinit: fmt.Sprintf("%.2f MiB", mib(pod)), tini: fmt.Sprintf("%.2f MiB", mib(tini)),
		met: mib(pod) <= 2.5,
	}}
}

func printMethod(w io.Writer, r *results) {
	fmt.Fprintf(w, "## How it is measured\n\n")
	for _, line := range []string{
		"binary size: the size of the file.",
		"exec overhead: wall time from start to exit of `unshare --pid --fork --mount-proc INIT true`, minus that of " +
			"`unshare --pid --fork --mount-proc true` in the same round (order rotating each round); one unrecorded warm-up run each.",
		fmt.Sprintf("idle: `INIT sleep 1000`; after %v, over %d s: the init's utime+stime (/proc/PID/stat) and "+
			"voluntary+involuntary context switches summed over /proc/PID/task/*/status; VmRSS and Threads at the end.",
			idleSettle, r.idleWindow),
		fmt.Sprintf("reaping: the app makes %d orphans that exit at once, one after the other (on amd64 by "+
			"clone(CLONE_VM) from assembly, so that neither making nor ending one copies page tables); the last writes "+
			"its CLOCK_MONOTONIC time to a pipe just before exit_group, and the app busy-polls /proc/PID until it is "+
			"gone (reap lag), then scans its namespace's /proc until no zombie is left (total, from the first clone). "+
			"Init CPU is the init's CPU over the round, read by the app from /proc/1/stat (ticks of 10 ms) and from the "+
			"kernel's per-process CPU clock (ns).", r.orphans),
		fmt.Sprintf("signal latency: the app blocks SIGUSR1 on all its threads (a wrapper blocks it and execs the app) "+
			"and reads it from a signalfd; latency is CLOCK_MONOTONIC from the bench's kill(2) on the init to that read; "+
			"%d signals per init, round-robin, one in flight. No init: the same app signalled directly.", r.signals),
		fmt.Sprintf("real-time burst: %d × signal 39 sent to the init with back-to-back kill(2), then the app's "+
			"signalfd arrivals are counted until %v after the last send.", r.burstSize, burstWindow),
	} {
		fmt.Fprintf(w, "- %s\n", line)
	}
}
