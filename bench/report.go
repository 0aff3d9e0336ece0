package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// results is everything measured, keyed by init name (noInit.name for the
// baselines).
type results struct {
	machine     machineInfo
	inits       []initUnderTest
	podinitPath string // as given, before the snapshot
	sizes       map[string]int64
	exec        map[string]*execResult
	idle        map[string]*idleResult
	reap        map[string][]reapResult
	latency     map[string]*latencyResult
	burst       map[string]*burstResult

	// podinit's lifecycle, measured on podinit alone; the idle rounds of
	// podinit with a plan are in idle, under planned.name.
	planned      initUnderTest
	termVariants []initUnderTest
	hook         *hookResult
	term         map[string]*termResult

	orphans, signals, burstSize, idleWindow int
}

func printReport(w io.Writer, r *results) {
	printHeader(w, r)
	printMeasurements(w, r)
	printLifecycle(w, r)
	printTargets(w, r)
	printMethod(w, r)
}

func printHeader(w io.Writer, r *results) {
	m := r.machine
	fmt.Fprintf(w, "# podinit beside tini, dumb-init and catatonit\n\n")
	fmt.Fprintf(w, "- date: %s\n", m.date)
	fmt.Fprintf(w, "- machine: %d CPUs (nproc), kernel %s, CPU %s\n", m.nproc, m.kernel, m.cpu)
	fmt.Fprintf(w, "- load average (1, 5, 15 min): %s at the start, %s at the end\n", m.loadavg, m.loadEnd)
	var vs []string
	for _, in := range r.inits {
		vs = append(vs, fmt.Sprintf("%s `%s`", in.name, m.versions[in.name]))
	}
	fmt.Fprintf(w, "- inits: %s; podinit is a copy of %s taken at the start\n", strings.Join(vs, ", "), r.podinitPath)
	fmt.Fprintf(w, "- each init is PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc INIT ...`; podinit with `-q`); "+
		"every measurement visits the inits round-robin\n")
	fmt.Fprintf(w, "- cells: median (min–max) unless labelled otherwise\n\n")
}

// row is one line of the measurements table.
type row struct {
	label string
	cell  func(name string) string // by init name; "" prints as –
	vs    string                   // podinit against tini
}

func printMeasurements(w io.Writer, r *results) {
	names := []string{}
	for _, in := range r.inits {
		names = append(names, in.name)
	}
	names = append(names, noInit.name)
	fmt.Fprintf(w, "## Measurements\n\n| measurement | %s | podinit vs tini |\n|---|%s---|\n",
		strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	var rows []row
	for _, section := range []func(*results) []row{sizeRows, execRows, idleRows, reapRows, latencyRows, burstRows} {
		rows = append(rows, section(r)...)
	}
	for _, rw := range rows {
		fmt.Fprintf(w, "| %s |", rw.label)
		for _, n := range names {
			c := rw.cell(n)
			if c == "" {
				c = "–"
			}
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintf(w, " %s |\n", rw.vs)
	}
	fmt.Fprintln(w)
}

func sizeRows(r *results) []row {
	return []row{{
		label: "binary size",
		cell: func(n string) string {
			b, ok := r.sizes[n]
			if !ok {
				return ""
			}
			return fmt.Sprintf("%d B (%.2f MiB)", b, mib(b))
		},
		vs: ratio(float64(r.sizes["podinit"]), float64(r.sizes["tini"])),
	}}
}

func execRows(r *results) []row {
	wall := func(n string) sample { return r.exec[n].wall }
	overhead := func(n string) sample {
		if n == noInit.name {
			return nil
		}
		return r.exec[n].overhead
	}
	pod, tini := overhead("podinit").median(), overhead("tini").median()
	return []row{
		{label: "wall time of `unshare … INIT true` (ms)", cell: spreadOf(wall, 2), vs: diff(wall("podinit").median(), wall("tini").median(), 2, "ms")},
		{label: "exec overhead: wall − same round's plain `true` (ms)", cell: spreadOf(overhead, 2), vs: ratio(pod, tini) + ", " + diff(pod, tini, 2, "ms")},
	}
}

func idleRows(r *results) []row {
	field := func(get func(*idleResult) sample) func(string) sample {
		return func(n string) sample {
			if i, ok := r.idle[n]; ok {
				return get(i)
			}
			return nil
		}
	}
	rss := field(func(i *idleResult) sample { return i.rssKiB })
	ticks := field(func(i *idleResult) sample { return i.ticks })
	wakeups := field(func(i *idleResult) sample { return i.wakeups })
	threads := field(func(i *idleResult) sample { return i.threads })
	per := fmt.Sprintf("per %d s", r.idleWindow)
	return []row{
		{label: "idle RSS (KiB)", cell: spreadOf(rss, 0), vs: diff(rss("podinit").median(), rss("tini").median(), 0, "KiB")},
		{label: "idle CPU ticks " + per, cell: spreadOf(ticks, 0), vs: diff(ticks("podinit").median(), ticks("tini").median(), 0, "")},
		{label: "idle wakeups (context switches) " + per, cell: spreadOf(wakeups, 0), vs: diff(wakeups("podinit").median(), wakeups("tini").median(), 0, "")},
		{label: "idle threads", cell: spreadOf(threads, 0), vs: diff(threads("podinit").median(), threads("tini").median(), 0, "")},
	}
}

// reapSample collects one quantity over an init's reaping rounds.
func (r *results) reapSample(name string, get func(reapResult) float64) sample {
	var s sample
	for _, res := range r.reap[name] {
		s = append(s, get(res))
	}
	return s
}

func reapRows(r *results) []row {
	field := func(get func(reapResult) float64) func(string) sample {
		return func(n string) sample { return r.reapSample(n, get) }
	}
	total := field(func(x reapResult) float64 { return ms(x.Total) })
	lag := field(func(x reapResult) float64 { return us(x.Lag) })
	cpu := field(func(x reapResult) float64 { return ms(x.InitCPU) })
	ticks := field(func(x reapResult) float64 { return float64(x.InitTicks) })
	zombies := field(func(x reapResult) float64 { return float64(x.ZombiesLeft) })
	k := fmt.Sprintf("%d orphans", r.orphans)
	return []row{
		{label: k + ": make and reap all (ms)", cell: spreadOf(total, 1), vs: ratio(total("podinit").median(), total("tini").median())},
		{label: k + ": reap lag of the last (µs)", cell: spreadOf(lag, 1), vs: diff(lag("podinit").median(), lag("tini").median(), 1, "µs")},
		{label: k + ": init CPU, CPU clock (ms)", cell: spreadOf(cpu, 1), vs: ratio(cpu("podinit").median(), cpu("tini").median())},
		{label: k + ": init CPU, utime+stime (ticks)", cell: spreadOf(ticks, 0), vs: ratio(ticks("podinit").median(), ticks("tini").median())},
		{label: k + ": zombies left", cell: spreadOf(zombies, 0)},
	}
}

func latencyRows(r *results) []row {
	lat := func(n string) sample { return r.latency[n].micros }
	p99 := func(n string) string { return fmt.Sprintf("%.1f", lat(n).percentile(99)) }
	overhead := func(n string) float64 { return lat(n).median() - lat(noInit.name).median() }
	answered := func(n string) string {
		l := r.latency[n]
		return fmt.Sprintf("%d of %d", len(l.micros), l.sent)
	}
	return []row{
		{label: "SIGUSR1 latency, kill(2) to the app's read (µs)", cell: spreadOf(lat, 1), vs: diff(lat("podinit").median(), lat("tini").median(), 1, "µs")},
		{label: "SIGUSR1 latency p99 (µs)", cell: p99, vs: diff(lat("podinit").percentile(99), lat("tini").percentile(99), 1, "µs")},
		{
			label: "forwarding overhead: p50 − no-init p50 (µs)",
			cell: func(n string) string {
				if n == noInit.name {
					return ""
				}
				return fmt.Sprintf("%.1f", overhead(n))
			},
			vs: diff(overhead("podinit"), overhead("tini"), 1, "µs"),
		},
		{label: fmt.Sprintf("SIGUSR1s answered (of %d; a loss ends the run)", r.signals), cell: answered},
	}
}

func burstRows(r *results) []row {
	arrived := func(n string) sample { return r.burst[n].arrived }
	sent := func(n string) sample { return r.burst[n].sent }
	return []row{
		{label: fmt.Sprintf("signal 39 burst of %d: arrived within %v", r.burstSize, burstWindow), cell: spreadOf(arrived, 0)},
		{label: "signal 39 burst: kill(2) calls that succeeded", cell: spreadOf(sent, 0)},
	}
}

// lifecycleRow is one line of the lifecycle table, which has podinit alone.
type lifecycleRow struct {
	label, cell string
	vs          string // against the same measurement without the lifecycle
}

func printLifecycle(w io.Writer, r *results) {
	fmt.Fprintf(w, "## podinit's lifecycle\n\n"+
		"The other inits have no lifecycle, so these are podinit's alone: the same binary as above, "+
		"with the lifecycle flags each row names (and `-q`).\n\n"+
		"| measurement | podinit | difference |\n|---|---|---|\n")
	var rows []lifecycleRow
	for _, section := range []func(*results) []lifecycleRow{hookRows, termRows, plannedIdleRows} {
		rows = append(rows, section(r)...)
	}
	for _, rw := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", rw.label, rw.cell, rw.vs)
	}
	fmt.Fprintln(w)
}

func hookRows(r *results) []lifecycleRow {
	h := r.hook
	return []lifecycleRow{
		{
			label: "hook round trip: `nsenter … podinit hook prestop`, empty plan (ms)", cell: h.hook.spread(2),
			vs: diff(h.hook.median(), h.nsenter.median(), 2, "ms vs nsenter alone"),
		},
		{label: "baseline: `nsenter … /bin/true`, same rounds (ms)", cell: h.nsenter.spread(2)},
		{label: "hook net of nsenter: hook − same round's `true` (ms)", cell: h.net.spread(2)},
	}
}

func termRows(r *results) []lifecycleRow {
	var rows []lifecycleRow
	base := r.term[r.termVariants[0].name].micros.median()
	for i, v := range r.termVariants {
		t := r.term[v.name]
		rw := lifecycleRow{label: "SIGTERM latency, kill(2) to the app's read: " + v.name + " (µs)", cell: t.micros.spread(1)}
		if i > 0 {
			rw.vs = diff(t.micros.median(), base, 1, "µs vs (a)")
		}
		rows = append(rows, rw)
	}
	for _, v := range r.termVariants {
		t := r.term[v.name]
		rows = append(rows, lifecycleRow{
			label: fmt.Sprintf("SIGTERMs answered; podinit exited 0 within %v of its app: %s", termExitWait, v.name),
			cell:  fmt.Sprintf("%d of %d; %d of %d", len(t.micros), t.runs, t.clean, t.runs),
		})
	}
	return rows
}

func plannedIdleRows(r *results) []lifecycleRow {
	with, without := r.idle[r.planned.name], r.idle["podinit"]
	per := fmt.Sprintf("per %d s", r.idleWindow)
	row := func(label string, get func(*idleResult) sample, unit string) lifecycleRow {
		vs := strings.TrimSpace(diff(get(with).median(), get(without).median(), 0, unit) + " vs no plan")
		return lifecycleRow{label: label, cell: get(with).spread(0), vs: vs}
	}
	return []lifecycleRow{
		row("idle RSS with a plan (KiB)", func(i *idleResult) sample { return i.rssKiB }, "KiB"),
		row("idle CPU ticks "+per+" with a plan", func(i *idleResult) sample { return i.ticks }, ""),
		row("idle wakeups (context switches) "+per+" with a plan", func(i *idleResult) sample { return i.wakeups }, ""),
		row("idle threads with a plan", func(i *idleResult) sample { return i.threads }, ""),
	}
}

// spreadOf formats median (min–max) of the sample get returns for an init.
func spreadOf(get func(string) sample, prec int) func(string) string {
	return func(n string) string { return get(n).spread(prec) }
}

// spread formats median (min–max), or "" for an empty sample.
func (s sample) spread(prec int) string {
	if len(s) == 0 {
		return ""
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, s.median(), prec, s.min(), prec, s.max())
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func diff(a, b float64, prec int, unit string) string {
	return strings.TrimSpace(fmt.Sprintf("%+.*f %s", prec, a-b, unit))
}

func mib(b int64) float64        { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
