package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv names the helper mode this binary runs in when it is the
// application under an init rather than the bench itself.
const helperEnv = "PODINIT_BENCH_HELPER"

// Helper modes, and the argument each takes.
const (
	modeOrphans = "orphans" // N: make N orphans, report a reapResult
	modeSigWrap = "sigwrap" // SIG: block SIG, then exec this binary as sigrecv
	modeSigRecv = "sigrecv" // SIG: report the arrival time of every SIG
	modeTerm    = "term"    // none: sigrecv for SIGTERM, from a forked reader
)

const (
	reportFD     = 3                // where a helper reports: the bench's pipe
	reportRecord = 8                // bytes per sigrecv report: an int64 time
	waitReport   = 10 * time.Second // for a helper's first report
)

func runHelper(mode string, args []string) int {
	var err error
	switch mode {
	case modeOrphans:
		err = orphansHelper(args)
	case modeSigWrap:
		err = sigWrapper(args)
	case modeSigRecv:
		err = sigReceiver(args)
	case modeTerm:
		err = termReceiver(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench helper %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// helperEnviron is this process's environment with the helper mode set.
func helperEnviron(mode string) []string {
	env := []string{helperEnv + "=" + mode}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// intArg parses the helper's single numeric argument.
func intArg(args []string) (int, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("want one numeric argument, got %q", args)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad argument %q: want a positive number", args[0])
	}
	return n, nil
}

// writeReport writes b to the report pipe with one write(2), which the
// kernel does not split for b of up to PIPE_BUF (4 KiB) bytes.
func writeReport(b []byte) error {
	for {
		_, err := unix.Write(reportFD, b)
		if err != unix.EINTR {
			return err
		}
	}
}
