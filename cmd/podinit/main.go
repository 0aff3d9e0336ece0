// Command podinit is a container's PID 1: it runs the application, forwards
// signals to it, reaps zombies and exits with the application's code. Called
// as tini or dumb-init it takes their command line and behaves as they do.
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// init keeps the main goroutine on the main thread, where the supervisor's
// event loop runs (main → run → supervisor.Run) and sleeps in read(2) on
// its signal pipe. The kernel hands a process-directed signal to the thread
// group leader, the main thread, when that thread neither blocks it nor has
// another signal pending (complete_signal and wants_signal in
// kernel/signal.c), so the trampoline runs on the very thread that waits
// for its record and one wakeup does it all. Unlocked, the Go scheduler
// moves the loop to other threads (sysmon preempts a goroutine that has
// held its P for 10 ms, and a read(2) that returns is no reschedule), and
// then every signal wakes the main thread to run the trampoline and the
// loop's thread to read the record: reaping 20,000 orphans took 25-31
// thousand context switches so, 16-18 thousand locked (bench/RESULTS.md).
func init() { runtime.LockOSThread() }

func main() {
	os.Exit(run(os.Args, os.Environ()))
}

// run picks the persona from the name podinit was called by, so a copy or
// symlink named tini, docker-init or dumb-init can replace those binaries in
// an image or in dockerd's --init.
func run(args, env []string) int {
	e := newEnviron(env)
	switch persona(args[0]) {
	case "tini":
		return runTini(args, e)
	case "dumb-init":
		return runDumbInit(args, e)
	}
	return runPodinit(args, e)
}

func persona(argv0 string) string {
	name := filepath.Base(argv0)
	switch {
	case name == "tini" || strings.HasPrefix(name, "tini-"):
		return "tini" // tini-static, tini-amd64, ...
	case name == "docker-init":
		return "tini" // dockerd's --init runs tini under this name
	case name == "dumb-init" || strings.HasPrefix(name, "dumb-init_"):
		return "dumb-init" // dumb-init_1.2.5_x86_64, as released
	}
	return "podinit"
}

// environ is the environment podinit was started with, as a lookup table.
type environ struct {
	list []string
	vars map[string]string
}

func newEnviron(list []string) environ {
	vars := make(map[string]string, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return environ{list: list, vars: vars}
}

func (e environ) lookup(k string) (string, bool) {
	v, ok := e.vars[k]
	return v, ok
}
