// Command bench measures podinit beside tini, dumb-init and catatonit and
// two floors built from this repository (bench/floor, a minimal Go init,
// and bench/floorhttp, the same with go-retryablehttp linked in), and
// prints a Markdown report: binary size, exec overhead, idle cost, reaping
// 20,000 orphans, SIGTERM to the init until it exits, signal forwarding
// latency and a burst of real-time signals; then, for podinit alone, what
// its lifecycle costs: the round trip of `podinit hook prestop` and PID 1's
// memory after 200 of them, SIGTERM's way to the app with and without a
// plan, forwarding with every signal logged to a stdout nobody reads, and
// the idle cost with a plan. Each podinit figure is given as a ratio to
// tini's and, for start-up, to the Go+HTTP floor's.
//
// Every init runs as PID 1 of a fresh PID namespace, as in a container:
//
//	unshare --pid --fork --mount-proc INIT [FLAGS] CMD...
//
// and every measurement visits the inits round-robin, so that a slow moment
// of the machine costs them all alike instead of falling on one.
//
// Usage, from the repository's root (the floors are built from source):
//
//	go run ./bench -podinit bin/podinit -o bench/RESULTS.md
//
// -o replaces the measured part of the file and keeps what follows the
// notes heading (see notesHeading): what was found by profiling, written by
// hand beside the numbers. Without -o the report goes to standard output.
//
// The bench binary is also the application the inits supervise: when
// PODINIT_BENCH_HELPER is set, main runs the helper it names instead, as Go's
// os/exec tests re-execute the test binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// config is what the command line chooses.
type config struct {
	podinit, tini, dumbInit, catatonit string

	execRuns   int // runs of `INIT true` per init
	rounds     int // rounds of the idle, reaping and real-time measurements
	orphans    int // orphans per reaping round
	signals    int // SIGUSR1s per init for the forwarding latency
	burst      int // real-time signals per burst
	idleWindow int // seconds of the idle measurement
	hookRuns   int // runs of `podinit hook prestop`
	termRuns   int // SIGTERMs, each to a fresh podinit, per lifecycle variant
	prestops   int // `podinit hook prestop` calls before PID 1's memory is read again
	goTool     string
	out        string // the report file; "" for standard output
}

func main() {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[1:]))
	}
	cfg := parseFlags()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.podinit, "podinit", "bin/podinit", "podinit binary under test")
	flag.StringVar(&c.tini, "tini", "/usr/bin/tini-static", "tini binary")
	flag.StringVar(&c.dumbInit, "dumb-init", "/usr/bin/dumb-init", "dumb-init binary")
	flag.StringVar(&c.catatonit, "catatonit", "/usr/bin/catatonit", "catatonit binary")
	flag.IntVar(&c.execRuns, "exec-runs", 100, "runs of `INIT true` per init")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of the idle, reaping and real-time measurements")
	flag.IntVar(&c.orphans, "orphans", 20000, "orphans per reaping round")
	flag.IntVar(&c.signals, "signals", 1000, "SIGUSR1s per init for the forwarding latency")
	flag.IntVar(&c.burst, "burst", 1000, "real-time signals per burst")
	flag.IntVar(&c.idleWindow, "idle-seconds", 10, "length of the idle measurement window, in seconds")
	flag.IntVar(&c.hookRuns, "hook-runs", 50, "runs of `podinit hook prestop`")
	flag.IntVar(&c.termRuns, "sigterms", 30, "SIGTERMs per lifecycle variant and per init, each to a fresh one")
	flag.IntVar(&c.prestops, "prestop-hooks", 200, "calls of podinit hook prestop after which PID 1's memory is read again")
	flag.StringVar(&c.goTool, "go", "go", "go command that builds the floors")
	flag.StringVar(&c.out, "o", "", "write the report to this file, keeping its notes section (default: standard output)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	return c
}

// run measures everything in turn and prints the report. Progress goes to
// standard error so that standard output is the report alone.
func run(cfg config) error {
	dir, err := os.MkdirTemp("", "podinit-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	inits, err := initsUnderTest(cfg, dir)
	if err != nil {
		return err
	}
	floors, err := buildFloors(cfg.goTool, dir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the bench binary: %w", err)
	}
	pod := inits[0] // initsUnderTest puts podinit first
	// Start-up and reaping are measured on the floors too; forwarding is
	// not, since the floors forward SIGTERM and SIGINT alone.
	withFloors := append(slices.Clip(inits), floors...)
	r := &results{
		machine: describeMachine(withFloors), inits: inits, floors: floors, podinitPath: cfg.podinit,
		planned: withPlan(pod), termVariants: termVariants(pod), logged: loggedVariants(pod),
		orphans: cfg.orphans, signals: cfg.signals, burstSize: cfg.burst, idleWindow: cfg.idleWindow,
	}
	// podinit with a plan takes its turn in the idle rounds beside the
	// others, so it meets the same moments of the machine; so do the
	// logging podinits in the forwarding rounds.
	idlers := append(slices.Clip(withFloors), r.planned)
	forwarders := append(slices.Clip(inits), r.logged...)
	steps := []struct {
		name    string
		measure func() error
	}{
		{"binary size", func() (err error) { r.sizes, err = measureSizes(withFloors); return }},
		{"exec overhead", func() (err error) { r.exec, err = measureExec(withFloors, cfg.execRuns); return }},
		{"idle", func() (err error) { r.idle, err = measureIdle(idlers, cfg.rounds, cfg.idleWindow); return }},
		{"reaping", func() (err error) { r.reap, err = measureReaping(withFloors, self, cfg.rounds, cfg.orphans); return }},
		{"SIGTERM to the init", func() (err error) { r.stop, err = measureStop(withFloors, cfg.termRuns); return }},
		{"signal forwarding", func() (err error) { r.latency, err = measureLatency(forwarders, self, cfg.signals); return }},
		{"real-time burst", func() (err error) { r.burst, err = measureBurst(inits, self, cfg.rounds, cfg.burst); return }},
		{"podinit hook round trip", func() (err error) { r.hook, err = measureHook(pod, cfg.hookRuns, cfg.prestops); return }},
		{"podinit SIGTERM to the app", func() (err error) { r.term, err = measureTerm(r.termVariants, self, cfg.termRuns); return }},
	}
	for _, s := range steps {
		progress("%s ...", s.name)
		if err := s.measure(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.machine.loadEnd = loadavg()
	if cfg.out == "" {
		printReport(os.Stdout, r)
		return nil
	}
	return writeReportFile(cfg.out, r)
}

// initsUnderTest lists the inits in the order the report shows them, podinit
// first. podinit runs with -q because the others log nothing by default; it
// is copied into dir first.
func initsUnderTest(cfg config, dir string) ([]initUnderTest, error) {
	podinit, err := snapshot(cfg.podinit, dir)
	if err != nil {
		return nil, err
	}
	inits := []initUnderTest{
		{name: "podinit", path: podinit, flags: []string{"-q", "--"}},
		{name: "tini", path: cfg.tini, flags: []string{"--"}},
		{name: "dumb-init", path: cfg.dumbInit},
		{name: "catatonit", path: cfg.catatonit, flags: []string{"--"}},
	}
	for _, in := range inits {
		if _, err := os.Stat(in.path); err != nil {
			return nil, fmt.Errorf("%s: %w", in.name, err)
		}
	}
	return inits, nil
}

// snapshot copies the podinit under test into dir, so that a rebuild of
// bin/podinit during the run (others work in this tree) cannot swap the
// binary halfway. The copy keeps the name podinit, which is what selects
// podinit's own persona.
func snapshot(path, dir string) (string, error) {
	copied := filepath.Join(dir, "podinit")
	if err := copyBinary(path, copied); err != nil {
		return "", fmt.Errorf("podinit: %w", err)
	}
	return copied, nil
}

// copyBinary writes a copy of the executable src to dst with one write(2).
// podinit and the floors are all copied so, because how a file came to be
// in the page cache changes the RSS of a process that maps it: the kernel
// caches a file written in one piece in large folios and maps a whole folio
// on a fault (fault-around), so the same binary idles with over a MiB more
// RssFile than when the linker wrote it piecemeal (measured: 5676 against
// 4460 KiB for the Go+HTTP floor on kernel 6.18). The same history for all
// keeps the comparison about the programs.
func copyBinary(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
