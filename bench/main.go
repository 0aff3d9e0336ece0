// Command bench measures podinit beside tini, dumb-init and catatonit and
// prints a Markdown report: binary size, exec overhead, idle cost, reaping
// 20,000 orphans, signal forwarding latency and a burst of real-time signals;
// then, for podinit alone, what its lifecycle costs: the round trip of
// `podinit hook prestop`, SIGTERM's way to the app with and without a plan,
// and the idle cost with a plan.
//
// Every init runs as PID 1 of a fresh PID namespace, as in a container:
//
//	unshare --pid --fork --mount-proc INIT [FLAGS] CMD...
//
// and every measurement visits the inits round-robin, so that a slow moment
// of the machine costs them all alike instead of falling on one.
//
// Usage:
//
//	go run ./bench -podinit bin/podinit > RESULTS.md
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
	flag.IntVar(&c.termRuns, "sigterms", 30, "SIGTERMs, each to a fresh podinit, per lifecycle variant")
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
	inits, dir, err := initsUnderTest(cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the bench binary: %w", err)
	}
	pod := inits[0] // initsUnderTest puts podinit first
	r := &results{
		machine: describeMachine(inits), inits: inits, podinitPath: cfg.podinit,
		planned: withPlan(pod), termVariants: termVariants(pod),
		orphans: cfg.orphans, signals: cfg.signals, burstSize: cfg.burst, idleWindow: cfg.idleWindow,
	}
	// podinit with a plan takes its turn in the idle rounds beside the
	// others, so it meets the same moments of the machine.
	idlers := append(slices.Clip(inits), r.planned)
	steps := []struct {
		name    string
		measure func() error
	}{
		{"binary size", func() (err error) { r.sizes, err = measureSizes(inits); return }},
		{"exec overhead", func() (err error) { r.exec, err = measureExec(inits, cfg.execRuns); return }},
		{"idle", func() (err error) { r.idle, err = measureIdle(idlers, cfg.rounds, cfg.idleWindow); return }},
		{"reaping", func() (err error) { r.reap, err = measureReaping(inits, self, cfg.rounds, cfg.orphans); return }},
		{"signal forwarding", func() (err error) { r.latency, err = measureLatency(inits, self, cfg.signals); return }},
		{"real-time burst", func() (err error) { r.burst, err = measureBurst(inits, self, cfg.rounds, cfg.burst); return }},
		{"podinit hook round trip", func() (err error) { r.hook, err = measureHook(pod, cfg.hookRuns); return }},
		{"podinit SIGTERM to the app", func() (err error) { r.term, err = measureTerm(r.termVariants, self, cfg.termRuns); return }},
	}
	for _, s := range steps {
		progress("%s ...", s.name)
		if err := s.measure(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.machine.loadEnd = loadavg()
	printReport(os.Stdout, r)
	return nil
}

// initsUnderTest lists the inits in the order the report shows them, podinit
// first. podinit runs with -q because the others log nothing by default.
// The caller must remove dir, where podinit was copied.
func initsUnderTest(cfg config) (inits []initUnderTest, dir string, err error) {
	podinit, dir, err := snapshot(cfg.podinit)
	if err != nil {
		return nil, "", err
	}
	inits = []initUnderTest{
		{name: "podinit", path: podinit, flags: []string{"-q", "--"}},
		{name: "tini", path: cfg.tini, flags: []string{"--"}},
		{name: "dumb-init", path: cfg.dumbInit},
		{name: "catatonit", path: cfg.catatonit, flags: []string{"--"}},
	}
	for _, in := range inits {
		if _, err := os.Stat(in.path); err != nil {
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("%s: %w", in.name, err)
		}
	}
	return inits, dir, nil
}

// snapshot copies the podinit under test into a new directory, so that a
// rebuild of bin/podinit during the run (others work in this tree) cannot
// swap the binary halfway. The copy keeps the name podinit, which is what
// selects podinit's own persona.
func snapshot(path string) (copied, dir string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("podinit: %w", err)
	}
	dir, err = os.MkdirTemp("", "podinit-bench-")
	if err != nil {
		return "", "", err
	}
	copied = filepath.Join(dir, "podinit")
	if err := os.WriteFile(copied, b, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return copied, dir, nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
