package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

// measureSizes returns each init's binary size in bytes.
func measureSizes(inits []initUnderTest) (map[string]int64, error) {
	sizes := make(map[string]int64)
	for _, in := range inits {
		fi, err := os.Stat(in.path)
		if err != nil {
			return nil, err
		}
		sizes[in.name] = fi.Size()
	}
	return sizes, nil
}

// execResult is the cost of starting an init that runs `true`.
type execResult struct {
	wall     sample // ms: `unshare ... INIT true`, start to exit
	overhead sample // ms: wall minus the same round's `unshare ... true`
}

// measureExec times `unshare ... INIT true` against `unshare ... true`, runs
// times each. Each round runs every init and the baseline once, in an order
// that rotates from round to round, and each init's overhead is taken against
// the baseline of its own round, so drift in the machine's speed cancels.
func measureExec(inits []initUnderTest, runs int) (map[string]*execResult, error) {
	all := append([]initUnderTest{noInit}, inits...)
	out := make(map[string]*execResult)
	for _, in := range all {
		out[in.name] = &execResult{}
		// One unrecorded run first brings the binary into the page cache.
		if _, err := timeTrue(in); err != nil {
			return nil, err
		}
	}
	for round := range runs {
		walls := make(map[string]float64)
		for i := range all {
			in := all[(round+i)%len(all)]
			ms, err := timeTrue(in)
			if err != nil {
				return nil, err
			}
			walls[in.name] = ms
		}
		for _, in := range all {
			r := out[in.name]
			r.wall = append(r.wall, walls[in.name])
			r.overhead = append(r.overhead, walls[in.name]-walls[noInit.name])
		}
	}
	return out, nil
}

// timeTrue returns the wall time in milliseconds of in running `true` as PID
// 1 of a new namespace, including unshare's own work.
func timeTrue(in initUnderTest) (float64, error) {
	ms, err := timeRun(nsCommand(in, "true"))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", in.name, err)
	}
	return ms, nil
}

// timeRun returns the wall time in milliseconds of cmd from start to exit,
// and an error unless it exited 0 within 10 s.
func timeRun(cmd *exec.Cmd) (float64, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	err := waitWithin(cmd, 10*time.Second)
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", cmd.Args, err)
	}
	return ms(elapsed), nil
}
