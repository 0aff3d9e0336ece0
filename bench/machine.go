package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// machineInfo says where and when the numbers were taken.
type machineInfo struct {
	date     string
	nproc    int
	kernel   string
	cpu      string
	loadavg  string // at the start: other work on the machine skews timings
	loadEnd  string // and at the end
	versions map[string]string
	args     []string // the bench's command line, which sets the sample counts
}

func describeMachine(inits []initUnderTest) machineInfo {
	m := machineInfo{
		date:     time.Now().UTC().Format("2006-01-02 15:04 MST"),
		nproc:    runtime.NumCPU(), // what nproc(1) prints: the CPUs this process may use
		cpu:      cpuModel(),
		versions: make(map[string]string),
		args:     os.Args[1:],
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		m.kernel = unix.ByteSliceToString(uts.Release[:])
	}
	m.loadavg = loadavg()
	for _, in := range inits {
		m.versions[in.name] = in.version
		if in.version == "" {
			m.versions[in.name] = version(in.path)
		}
	}
	return m
}

// loadavg is the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// version is the first line an init prints for --version (dumb-init prints
// it on standard error, hence both).
func version(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return "unknown"
	}
	return line
}
