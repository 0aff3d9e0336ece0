package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// results is everything measured, keyed by init name (noInit.name for the
// baselines).
type results struct {
	machine     machineInfo
	inits       []initUnderTest // podinit and its peers
	floors      []initUnderTest // the Go floor, then the Go+HTTP floor
	podinitPath string          // as given, before the snapshot
	sizes       map[string]int64
	exec        map[string]*execResult
	idle        map[string]*idleResult
	reap        map[string][]reapResult
	stop        map[string]*stopResult
	latency     map[string]*latencyResult // the logging podinits too, under logged's names
	burst       map[string]*burstResult

	// podinit's lifecycle, measured on podinit alone; the idle rounds of
	// podinit with a plan are in idle, under planned.name.
	planned      initUnderTest
	termVariants []initUnderTest
	logged       []initUnderTest // podinit -v with its stdout read, then full (blocking, then not)
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
	fmt.Fprintf(w, "# podinit beside tini, dumb-init, catatonit and the Go floors\n\n")
	fmt.Fprintf(w, "- date: %s\n", m.date)
	fmt.Fprintf(w, "- run: `bench %s`\n", shellWords(m.args))
	fmt.Fprintf(w, "- machine: %d CPUs (nproc), kernel %s, CPU %s\n", m.nproc, m.kernel, m.cpu)
	fmt.Fprintf(w, "- load average (1, 5, 15 min): %s at the start, %s at the end\n", m.loadavg, m.loadEnd)
	var vs []string
	for _, in := range append(slices.Clip(r.inits), r.floors...) {
		vs = append(vs, fmt.Sprintf("%s `%s`", in.name, m.versions[in.name]))
	}
	fmt.Fprintf(w, "- inits: %s; podinit is a copy of %s taken at the start\n", strings.Join(vs, ", "), r.podinitPath)
	fmt.Fprintf(w, "- each init is PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc INIT ...`; podinit with `-q`); "+
		"every measurement visits the inits round-robin\n")
	fmt.Fprintf(w, "- the floors are built by the bench from bench/floor and bench/floorhttp with podinit's build flags "+
		"(`CGO_ENABLED=0 go build -trimpath -ldflags '-s -w'`): a Go init that fork/execs, reaps with wait4(-1) and "+
		"forwards SIGTERM and SIGINT, and the same with go-retryablehttp linked in; podinit's start-up is compared "+
		"with the Go+HTTP floor, its hot paths with tini\n")
	fmt.Fprintf(w, "- cells: median (min–max) unless labelled otherwise; a comparison is podinit's ratio to the other, "+
		"then the difference\n\n")
}

// row is one line of the measurements table.
type row struct {
	label string
	cell  func(name string) string // by init name; "" prints as –
	vs    string                   // podinit against tini
	floor string                   // podinit against the Go+HTTP floor, for start-up
}

func printMeasurements(w io.Writer, r *results) {
	names := []string{}
	for _, in := range append(slices.Clip(r.inits), r.floors...) {
		names = append(names, in.name)
	}
	names = append(names, noInit.name)
	fmt.Fprintf(w, "## Measurements\n\n| measurement | %s | podinit vs tini | podinit vs %s |\n|---|%s---|---|\n",
		strings.Join(names, " | "), httpFloor, strings.Repeat("---|", len(names)))
	var rows []row
	for _, section := range []func(*results) []row{sizeRows, execRows, idleRows, reapRows, stopRows, latencyRows, burstRows} {
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
		fmt.Fprintf(w, " %s | %s |\n", orDash(rw.vs), orDash(rw.floor))
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// versus is podinit's value against a reference: the ratio, then the
// difference (the ratio alone when the difference would say nothing more,
// the difference alone when the reference is 0).
func versus(pod, ref float64, prec int, unit string) string {
	d := diff(pod, ref, prec, unit)
	if ref == 0 || math.IsNaN(ref) {
		return d
	}
	return ratio(pod, ref) + ", " + d
}

func sizeRows(r *results) []row {
	size := func(n string) float64 { return float64(r.sizes[n]) }
	return []row{{
		label: "binary size",
		cell: func(n string) string {
			b, ok := r.sizes[n]
			if !ok {
				return ""
			}
			return fmt.Sprintf("%d B (%.2f MiB)", b, mib(b))
		},
		vs:    ratio(size("podinit"), size("tini")),
		floor: versus(mib(r.sizes["podinit"]), mib(r.sizes[httpFloor]), 2, "MiB"),
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
	med := func(get func(string) sample, n string) float64 { return get(n).median() }
	return []row{
		{
			label: "wall time of `unshare … INIT true` (ms)", cell: spreadOf(wall, 2),
			vs:    versus(med(wall, "podinit"), med(wall, "tini"), 2, "ms"),
			floor: versus(med(wall, "podinit"), med(wall, httpFloor), 2, "ms"),
		},
		{
			label: "exec overhead: wall − same round's plain `true` (ms)", cell: spreadOf(overhead, 2),
			vs:    versus(med(overhead, "podinit"), med(overhead, "tini"), 2, "ms"),
			floor: versus(med(overhead, "podinit"), med(overhead, httpFloor), 2, "ms"),
		},
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
	per := fmt.Sprintf("per %d s", r.idleWindow)
	mk := func(label string, get func(*idleResult) sample, unit string) row {
		f := field(get)
		pod := f("podinit").median()
		return row{
			label: label, cell: spreadOf(f, 0),
			vs:    versus(pod, f("tini").median(), 0, unit),
			floor: versus(pod, f(httpFloor).median(), 0, unit),
		}
	}
	return []row{
		mk("idle VmRSS (KiB)", func(i *idleResult) sample { return i.rssKiB }, "KiB"),
		mk("idle RssAnon (KiB)", func(i *idleResult) sample { return i.anonKiB }, "KiB"),
		mk("idle CPU ticks "+per, func(i *idleResult) sample { return i.ticks }, ""),
		mk("idle wakeups (context switches) "+per, func(i *idleResult) sample { return i.wakeups }, ""),
		mk("idle threads", func(i *idleResult) sample { return i.threads }, ""),
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
	k := fmt.Sprintf("%d orphans", r.orphans)
	mk := func(label string, prec int, unit string, get func(reapResult) float64) row {
		f := func(n string) sample { return r.reapSample(n, get) }
		return row{label: k + ": " + label, cell: spreadOf(f, prec), vs: versus(f("podinit").median(), f("tini").median(), prec, unit)}
	}
	zombies := mk("zombies left", 0, "", func(x reapResult) float64 { return float64(x.ZombiesLeft) })
	zombies.vs = ""
	return []row{
		mk("make and reap all (ms)", 1, "ms", func(x reapResult) float64 { return ms(x.Total) }),
		mk("reap lag of the last (µs)", 1, "µs", func(x reapResult) float64 { return us(x.Lag) }),
		mk("init CPU, CPU clock (ms)", 1, "ms", func(x reapResult) float64 { return ms(x.InitCPU) }),
		mk("init CPU, utime+stime (ticks)", 0, "", func(x reapResult) float64 { return float64(x.InitTicks) }),
		mk("init context switches, all threads", 0, "", func(x reapResult) float64 { return float64(x.InitSwitches) }),
		zombies,
	}
}

func stopRows(r *results) []row {
	f := func(n string) sample {
		if s, ok := r.stop[n]; ok {
			return s.millis
		}
		return nil
	}
	return []row{{
		label: "SIGTERM to the init → init exit, `sleep` app dies of it (ms)", cell: spreadOf(f, 2),
		vs: versus(f("podinit").median(), f("tini").median(), 2, "ms"),
	}}
}

// latencySample is the SIGUSR1 latencies through init n, or nil for one
// that was not measured (the floors).
func (r *results) latencySample(n string) sample {
	if l, ok := r.latency[n]; ok {
		return l.micros
	}
	return nil
}

// forwardingCost is the median latency through init n over the no-init
// median: what the init adds.
func (r *results) forwardingCost(n string) float64 {
	return r.latencySample(n).median() - r.latencySample(noInit.name).median()
}

func latencyRows(r *results) []row {
	lat := r.latencySample
	p99 := func(n string) string {
		if lat(n) == nil {
			return ""
		}
		return fmt.Sprintf("%.1f", lat(n).percentile(99))
	}
	answered := func(n string) string {
		l, ok := r.latency[n]
		if !ok {
			return ""
		}
		return fmt.Sprintf("%d of %d", len(l.micros), l.sent)
	}
	return []row{
		{label: "SIGUSR1 latency, kill(2) to the app's read (µs)", cell: spreadOf(lat, 1), vs: versus(lat("podinit").median(), lat("tini").median(), 1, "µs")},
		{label: "SIGUSR1 latency p99 (µs)", cell: p99, vs: versus(lat("podinit").percentile(99), lat("tini").percentile(99), 1, "µs")},
		{
			label: "forwarding cost: p50 − no-init p50 (µs)",
			cell: func(n string) string {
				if n == noInit.name || lat(n) == nil {
					return ""
				}
				return fmt.Sprintf("%.1f", r.forwardingCost(n))
			},
			vs: versus(r.forwardingCost("podinit"), r.forwardingCost("tini"), 1, "µs"),
		},
		{label: fmt.Sprintf("SIGUSR1s answered (of %d; a loss ends the run)", r.signals), cell: answered},
		r.latencyCost("init context switches per SIGUSR1, all threads", 2, "", func(l *latencyResult) float64 { return l.switches }),
		r.latencyCost("init CPU per SIGUSR1, CPU clock (µs)", 1, "µs", func(l *latencyResult) float64 { return l.cpuMicros }),
	}
}

// latencyCost is a row of one number per init from the forwarding rounds.
func (r *results) latencyCost(label string, prec int, unit string, get func(*latencyResult) float64) row {
	value := func(n string) float64 {
		if l, ok := r.latency[n]; ok {
			return get(l)
		}
		return math.NaN()
	}
	return row{
		label: label,
		cell: func(n string) string {
			if v := value(n); !math.IsNaN(v) {
				return fmt.Sprintf("%.*f", prec, v)
			}
			return ""
		},
		vs: versus(value("podinit"), value("tini"), prec, unit),
	}
}

func burstRows(r *results) []row {
	f := func(get func(*burstResult) sample) func(string) sample {
		return func(n string) sample {
			if b, ok := r.burst[n]; ok {
				return get(b)
			}
			return nil
		}
	}
	return []row{
		{label: fmt.Sprintf("signal 39 burst of %d: arrived within %v", r.burstSize, burstWindow), cell: spreadOf(f(func(b *burstResult) sample { return b.arrived }), 0)},
		{label: "signal 39 burst: kill(2) calls that succeeded", cell: spreadOf(f(func(b *burstResult) sample { return b.sent }), 0)},
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
		"with the lifecycle flags each row names (and `-q`, or `-v` where the row says so).\n\n"+
		"| measurement | podinit | difference |\n|---|---|---|\n")
	var rows []lifecycleRow
	for _, section := range []func(*results) []lifecycleRow{hookRows, termRows, loggedRows, plannedIdleRows} {
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
		{
			label: fmt.Sprintf("PID 1's VmRSS before the first hook prestop → after %d (KiB)", h.calls),
			cell:  fmt.Sprintf("%d → %d", h.rssBefore, h.rssAfter), vs: fmt.Sprintf("%+d KiB", h.rssAfter-h.rssBefore),
		},
		{
			label: fmt.Sprintf("PID 1's RssAnon before the first hook prestop → after %d (KiB)", h.calls),
			cell:  fmt.Sprintf("%d → %d", h.anonBefore, h.anonAfter), vs: fmt.Sprintf("%+d KiB", h.anonAfter-h.anonBefore),
		},
	}
}

// loggedRows: SIGUSR1 through podinit -v, whose every forward is a log
// line, with its stdout read and with it full; measured in the same rounds
// as the measurements table.
func loggedRows(r *results) []lifecycleRow {
	var names []string
	for _, in := range r.logged {
		names = append(names, in.name)
	}
	read := names[0]
	lat := r.latencySample
	var rows []lifecycleRow
	for _, n := range names {
		rw := lifecycleRow{label: "SIGUSR1 latency, " + n + " (µs)", cell: lat(n).spread(1)}
		if n != read {
			rw.vs = diff(lat(n).median(), lat(read).median(), 1, "µs vs stdout read")
		}
		rows = append(rows, rw)
	}
	for _, n := range names {
		l := r.latency[n]
		rows = append(rows, lifecycleRow{
			label: "SIGUSR1 latency p99, " + n + "; answered (µs)",
			cell:  fmt.Sprintf("%.1f; %d of %d", lat(n).percentile(99), len(l.micros), l.sent),
		})
	}
	return rows
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
		row("idle VmRSS with a plan (KiB)", func(i *idleResult) sample { return i.rssKiB }, "KiB"),
		row("idle RssAnon with a plan (KiB)", func(i *idleResult) sample { return i.anonKiB }, "KiB"),
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
