package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// podinit called as tini or dumb-init must do what those do, so that an image
// can swap the binary and keep its ENTRYPOINT. Each expectation below was
// checked against the real /usr/bin/tini (0.19.0) and /usr/bin/dumb-init
// (1.2.5): exit codes, which stream a line goes to, its wording, and which
// process a signal reaches.

var (
	tiniPID1      = options{pid1: true, argv0: "tini"}
	tiniChild     = options{argv0: "tini"}
	dumbInitPID1  = options{pid1: true, argv0: "dumb-init"}
	dumbInitChild = options{argv0: "dumb-init"}
)

// with returns o with env added.
func (o options) with(env ...string) options {
	o.env = append(append([]string{}, o.env...), env...)
	return o
}

// endOnCleanup makes a test that fails midway end its app. Not PID 1,
// podinit's app outlives podinit, which the harness kills, and keeps the
// output pipes the harness then waits for: closing podinit's stdin ends the
// app, and a stopped or backgrounded app, whose pid is given, is killed.
func endOnCleanup(p *proc, pids ...int) {
	p.t.Cleanup(func() {
		p.stdin.Close()
		for _, pid := range pids {
			if procState(pid) != "" {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
	})
}

// remainingReports collects every report until the application and whatever
// shares its report descriptor are gone.
func remainingReports(p *proc) []string {
	p.t.Helper()
	var out []string
	timeout := time.After(deadline)
	for {
		select {
		case line, ok := <-p.reports:
			if !ok {
				return out
			}
			out = append(out, line)
		case <-timeout:
			p.t.Fatalf("reports still open after %s; got %q", deadline, out)
		}
	}
}

// expectReports waits for every line of want, in any order, failing on any other.
func expectReports(p *proc, want ...string) {
	p.t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	for len(missing) > 0 {
		got := p.report()
		if !missing[got] {
			p.t.Fatalf("unexpected report %q while waiting for %v; output:\n%s%s", got, missing, p.stdout, p.stderr)
		}
		delete(missing, got)
	}
}

// readyPID reads the application's pid from its "ready PID PGRP" report.
func readyPID(p *proc) int {
	p.t.Helper()
	var pid, pgrp int
	if _, err := fmt.Sscanf(p.expectPrefix("ready "), "%d %d", &pid, &pgrp); err != nil {
		p.t.Fatal(err)
	}
	return pid
}

// procState is the one-letter state of pid from /proc ("T" when stopped),
// or "" when it is gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// appState is what report-state says about the application.
type appState struct {
	sigBlk, sigIgn uint64
	cwd, parentCwd string
	pid, sid, pgrp int
}

func readAppState(p *proc) appState {
	p.t.Helper()
	var s appState
	var err error
	if s.sigBlk, err = strconv.ParseUint(p.expectPrefix("SigBlk "), 16, 64); err != nil {
		p.t.Fatal(err)
	}
	if s.sigIgn, err = strconv.ParseUint(p.expectPrefix("SigIgn "), 16, 64); err != nil {
		p.t.Fatal(err)
	}
	cwd, parent, ok := strings.Cut(p.expectPrefix("cwd "), " parent-cwd ")
	if !ok {
		p.t.Fatal("report-state: no parent-cwd")
	}
	s.cwd, s.parentCwd = cwd, parent
	if _, err := fmt.Sscanf(p.expectPrefix("pid "), "%d sid %d pgrp %d", &s.pid, &s.sid, &s.pgrp); err != nil {
		p.t.Fatal(err)
	}
	return s
}

func sigBit(sig unix.Signal) uint64 { return 1 << (uint(sig) - 1) }

// notExecutable is a file the application cannot be started from.
func notExecutable(t *testing.T) string {
	t.Helper()
	path := t.TempDir() + "/not-executable"
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func expectOutput(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func expectNoOutput(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(got, u) {
			t.Errorf("%s has %q:\n%s", what, u, got)
		}
	}
}

// --- tini ---

// -s makes tini, when it is not PID 1, the reaper of its app's orphans, and
// says so at the most verbose level. TINI_SUBREAPER does the same; -w then
// warns about every orphan reaped.
func TestTiniSubreaper(t *testing.T) {
	t.Run("-s", func(t *testing.T) {
		const n = 50
		p := start(t, tiniChild, append([]string{"-s", "-vvv", "--"}, helper("orphans", strconv.Itoa(n))...)...)
		endOnCleanup(p)
		p.expect(fmt.Sprintf("orphaned %d", n))
		pid := p.podinitPID()
		// tini logs a DEBUG line for each orphan it reaps; the app, whose
		// exit would add one more, waits for its stdin.
		eventually(t, "tini reaps every orphan", func() bool {
			return strings.Count(p.stdout.String(), "Reaped child with pid") == n && len(zombiesUnder(pid)) == 0
		})
		p.expectExit(0)
		expectOutput(t, "stdout", p.stdout.String(), fmt.Sprintf("[TRACE tini (%d)] Registered as child subreaper\n", pid))
		expectNoOutput(t, "stderr", p.stderr.String(), "not running as PID 1")
	})
	t.Run("TINI_SUBREAPER", func(t *testing.T) {
		const n = 20
		p := start(t, tiniChild.with("TINI_SUBREAPER="), append([]string{"-w", "--"}, helper("orphans", strconv.Itoa(n))...)...)
		endOnCleanup(p)
		p.expect(fmt.Sprintf("orphaned %d", n))
		pid := p.podinitPID()
		want := fmt.Sprintf("[WARN  tini (%d)] Reaped zombie process with pid=", pid)
		eventually(t, "tini warns of every orphan it reaps", func() bool {
			return strings.Count(p.stderr.String(), want) == n
		})
		p.expectExit(0)
		expectNoOutput(t, "stderr", p.stderr.String(), "not running as PID 1")
	})
}

// Neither PID 1 nor a subreaper, tini warns that orphans escape it, unless
// TINI_VERBOSITY=0 silences warnings.
func TestTiniWarnsWhenNotReaping(t *testing.T) {
	p := start(t, tiniChild, helper("exit", "0")...)
	pid := p.cmd.Process.Pid
	p.expectExit(0)
	expectOutput(t, "stderr", p.stderr.String(),
		fmt.Sprintf("[WARN  tini (%d)] Tini is not running as PID 1 and isn't registered as a child subreaper.\n", pid),
		"Zombie processes will not be re-parented to Tini, so zombie reaping won't work.\n")
	if p.stdout.String() != "" {
		t.Errorf("the warning is for stderr only; stdout:\n%s", p.stdout)
	}

	code, stdout, stderr := runToEnd(t, tiniChild.with("TINI_VERBOSITY=0"), helper("exit", "0")...)
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("TINI_VERBOSITY=0: exit %d, output %q %q; want 0 and silence", code, stdout, stderr)
	}
}

// -p SIG: tini gets SIG when its parent dies, and forwards it.
func TestTiniPdeathSignal(t *testing.T) {
	// tini's parent is a shell that exits when the test says so. The app
	// runs in the background, where its stdin is /dev/null: it runs until TERM.
	p := start(t, options{argv0: "tini", wrap: []string{"sh", "-c", `"$@" & read x; exit 0`, "sh"}},
		append([]string{"-s", "-p", "SIGUSR1", "--"}, helper("record-signals", "until-term")...)...)
	app := readyPID(p)
	endOnCleanup(p, app)
	tini, ok := ppidOf(app)
	if !ok {
		t.Fatalf("no parent for app pid %d", app)
	}
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	p.expect("app got 10")
	if err := unix.Kill(tini, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.expect("app got 15")
	p.expectExit(0)
}

// tini takes only signal names it knows, spelt SIGNAME, and fails otherwise.
func TestTiniBadPdeathSignal(t *testing.T) {
	for _, arg := range []string{"FOO", "SIGFOO", "15", "TERM"} {
		code, stdout, stderr := runToEnd(t, tiniChild, "-s", "-p", arg, "--", "true")
		if code != 1 || !strings.Contains(stderr, "Not a valid option for -p: "+arg+"\n") || stdout != "" {
			t.Errorf("-p %s: exit %d, stdout %q, stderr %q; want 1 and \"Not a valid option for -p: %s\"", arg, code, stdout, stderr, arg)
		}
	}
	if code, _, stderr := runToEnd(t, tiniChild, "-s", "-p", "SIGKILL", "--", "true"); code != 0 {
		t.Errorf("-p SIGKILL: exit %d, stderr %q; want 0", code, stderr)
	}
}

// -v, -vv and -vvv add INFO, DEBUG and TRACE lines on stdout; TINI_VERBOSITY
// sets the level and wins over the command line, as in tini.
func TestTiniVerbosity(t *testing.T) {
	info := "[INFO  tini (1)] Spawned child process '"
	exited := "[INFO  tini (1)] Main child exited normally (with status '0')\n"
	passing := "[DEBUG tini (1)] Passing signal: 'Terminated'\n"
	trace := "[TRACE tini (1)] Exiting: child has exited\n"
	cases := []struct {
		name     string
		args     []string
		env      []string
		want     []string
		unwanted []string
	}{
		{"default", nil, nil, nil, []string{"[INFO", "[DEBUG", "[TRACE"}},
		{"-v", []string{"-v"}, nil, []string{info, exited}, []string{"[DEBUG", "[TRACE"}},
		{"-vv", []string{"-vv"}, nil, []string{info, exited, passing}, []string{"[TRACE"}},
		{"-v -vv counts as -vvv", []string{"-v", "-vv"}, nil, []string{info, exited, passing, trace}, nil},
		{"TINI_VERBOSITY=2", nil, []string{"TINI_VERBOSITY=2"}, []string{info, exited}, []string{"[DEBUG", "[TRACE"}},
		{"TINI_VERBOSITY=1 wins over -vvv", []string{"-vvv"}, []string{"TINI_VERBOSITY=1"}, nil, []string{"[INFO", "[DEBUG", "[TRACE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(append([]string{}, c.args...), "--"), helper("record-signals")...)
			p := start(t, tiniPID1.with(c.env...), args...)
			app := readyPID(p)
			p.signal(unix.SIGTERM)
			p.expect("app got 15")
			p.expectExit(0)
			out := p.stdout.String()
			expectOutput(t, "stdout", out, c.want...)
			expectNoOutput(t, "stdout", out, c.unwanted...)
			if len(c.want) > 0 {
				// The app's pid as tini saw it, and its argv[0].
				expectOutput(t, "stdout", out, fmt.Sprintf("%s%s' with pid '%d'\n", info, helper("")[0], app))
			}
			if p.stderr.String() != "" {
				t.Errorf("as PID 1 tini writes nothing to stderr here:\n%s", p.stderr)
			}
		})
	}
	t.Run("killed by a signal", func(t *testing.T) {
		p := start(t, tiniPID1, "-v", "--", "sh", "-c", "kill -TERM $$")
		p.expectExit(143)
		expectOutput(t, "stdout", p.stdout.String(), "[INFO  tini (1)] Main child exited with signal (with signal 'Terminated')\n")
	})
}

// -w warns, on stderr, about every zombie tini reaps other than its child.
func TestTiniWarnsOnReaping(t *testing.T) {
	const n = 5
	p := start(t, tiniPID1, append([]string{"-w", "--"}, helper("orphans", strconv.Itoa(n))...)...)
	p.expect(fmt.Sprintf("orphaned %d", n))
	eventually(t, "a warning for each orphan", func() bool {
		return strings.Count(p.stderr.String(), "[WARN  tini (1)] Reaped zombie process with pid=") == n
	})
	p.expectExit(0)

	// Without -w, reaping is silent.
	p = start(t, tiniPID1, helper("orphans", strconv.Itoa(n))...)
	p.expect(fmt.Sprintf("orphaned %d", n))
	pid := p.podinitPID()
	eventually(t, "tini reaps every orphan", func() bool { return len(zombiesUnder(pid)) == 0 })
	p.expectExit(0)
	expectNoOutput(t, "stderr", p.stderr.String(), "Reaped zombie")
}

// tini signals its child alone unless -g or TINI_KILL_PROCESS_GROUP asks for
// the child's whole process group.
func TestTiniProcessGroup(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   []string
		group bool
	}{
		{"default", nil, nil, false},
		{"-g", []string{"-g"}, nil, true},
		{"TINI_KILL_PROCESS_GROUP", nil, []string{"TINI_KILL_PROCESS_GROUP=1"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(append([]string{}, c.args...), "--"), helper("record-signals", "group")...)
			p := start(t, tiniPID1.with(c.env...), args...)
			readyPID(p)
			p.signal(unix.SIGUSR1)
			if c.group {
				expectReports(p, "app got 10", "member got 10")
				p.expectExit(0)
				return
			}
			p.expect("app got 10")
			// The member would have reported USR1 before the app sees WINCH.
			p.signal(unix.SIGWINCH)
			p.expect("app got 28")
			p.expectExit(0)
			for _, r := range remainingReports(p) {
				if strings.HasPrefix(r, "member got") {
					t.Errorf("without -g the member got a signal: %q", r)
				}
			}
		})
	}
}

// -e CODE turns the app's exit code CODE into 0; it may repeat; a bad CODE
// is refused with exit 1.
func TestTiniRemapExit(t *testing.T) {
	cases := []struct {
		args []string
		want int
	}{
		{append([]string{"-e", "3", "--"}, helper("exit", "3")...), 0},
		{append([]string{"-e", "3", "-e", "4", "--"}, helper("exit", "4")...), 0},
		{append([]string{"-e", "3", "--"}, helper("exit", "5")...), 5},
		{append([]string{"-e", "143", "--"}, "sh", "-c", "kill -TERM $$"), 0},
	}
	for _, c := range cases {
		if code, stdout, stderr := runToEnd(t, tiniPID1, c.args...); code != c.want {
			t.Errorf("tini %v: exit %d, want %d; output:\n%s%s", c.args, code, c.want, stdout, stderr)
		}
	}
	for _, bad := range []string{"256", "abc"} {
		code, _, stderr := runToEnd(t, tiniPID1, "-e", bad, "--", "true")
		if code != 1 || !strings.Contains(stderr, "Not a valid option for -e: "+bad+"\n") {
			t.Errorf("-e %s: exit %d, stderr %q; want 1 and \"Not a valid option for -e: %s\"", bad, code, stderr, bad)
		}
	}
}

// -h, -l and --version print and exit 0 without running anything; --version
// is an option only on its own, as tini's getopt knows no long options.
func TestTiniInformationalOptions(t *testing.T) {
	code, stdout, stderr := runToEnd(t, tiniChild, "-h")
	if code != 0 || !strings.Contains(stdout, "Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n") || stderr != "" {
		t.Errorf("-h: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", code, stdout, stderr)
	}
	code, stdout, stderr = runToEnd(t, tiniChild, "-l")
	if code != 0 || !strings.Contains(stdout, "MIT") || stderr != "" {
		t.Errorf("-l: exit %d, stdout %q, stderr %q; want 0 and the license on stdout", code, stdout, stderr)
	}
	code, stdout, stderr = runToEnd(t, tiniChild, "--version")
	if code != 0 || strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(stdout, "tini version 0.19.0 - git.") || !strings.Contains(stdout, " - podinit ") || stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want 0 and one line on stdout, tini's and naming podinit", code, stdout, stderr)
	}
	for _, args := range [][]string{{"--version", "true"}, {"-s", "--version"}, {"true", "--version"}} {
		code, stdout, stderr := runToEnd(t, tiniChild, args...)
		if code != 1 || !strings.Contains(stderr, "Usage: tini") || stdout != "" {
			t.Errorf("tini %v: exit %d, stdout %q, stderr %q; want 1 and the usage on stderr", args, code, stdout, stderr)
		}
	}
}

// tini permutes its arguments like GNU getopt: an option after the command
// is tini's, unless "--" or POSIXLY_CORRECT ends tini's options first.
func TestTiniArgumentPermutation(t *testing.T) {
	code, stdout, stderr := runToEnd(t, tiniPID1, append(helper("exit", "0"), "-x")...)
	if code != 1 || !strings.Contains(stderr, "tini: invalid option -- 'x'\n") || stdout != "" {
		t.Errorf("tini CMD -x: exit %d, stdout %q, stderr %q; want 1 and \"tini: invalid option -- 'x'\"", code, stdout, stderr)
	}
	// -e 1 after the command is tini's, so false's 1 becomes 0.
	if code, stdout, stderr := runToEnd(t, tiniPID1, "false", "-e", "1"); code != 0 {
		t.Errorf("tini false -e 1: exit %d, want 0 (-e is tini's); output:\n%s%s", code, stdout, stderr)
	}
	show := []string{"sh", "-c", `echo "args $*" >&3`, "sh", "-x"}
	p := start(t, tiniPID1, append([]string{"--"}, show...)...)
	p.expect("args -x")
	p.expectExit(0)
	p = start(t, tiniPID1.with("POSIXLY_CORRECT=1"), show...)
	p.expect("args -x")
	p.expectExit(0)
	if code, stdout, stderr := runToEnd(t, tiniPID1.with("POSIXLY_CORRECT=1"), "false", "-e", "1"); code != 1 {
		t.Errorf("POSIXLY_CORRECT tini false -e 1: exit %d, want 1 (-e is false's); output:\n%s%s", code, stdout, stderr)
	}
}

// A command that cannot be run: 127 when it does not exist, 126 when it is
// not executable, with tini's FATAL line on stderr.
func TestTiniExecFailure(t *testing.T) {
	code, _, stderr := runToEnd(t, tiniPID1, "no-such-command-anywhere")
	if code != 127 || !strings.Contains(stderr, "[FATAL tini (1)] exec no-such-command-anywhere failed: No such file or directory\n") {
		t.Errorf("missing command: exit %d, stderr %q; want 127 and tini's FATAL line", code, stderr)
	}
	plain := notExecutable(t)
	code, _, stderr = runToEnd(t, tiniPID1, plain)
	if code != 126 || !strings.Contains(stderr, "[FATAL tini (1)] exec "+plain+" failed: Permission denied\n") {
		t.Errorf("non-executable: exit %d, stderr %q; want 126 and tini's FATAL line", code, stderr)
	}
}

// Usage errors exit 1 with the usage on stderr, as tini does.
func TestTiniUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-x", "true"}, "tini: invalid option -- 'x'\n"},
		{[]string{"-e"}, "tini: option requires an argument -- 'e'\n"},
		{nil, "Usage: tini"},
		{[]string{"-s", "--"}, "Usage: tini"},
	}
	for _, c := range cases {
		code, stdout, stderr := runToEnd(t, tiniChild, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("tini %v: exit %d, stdout %q, stderr %q; want 1 and %q on stderr", c.args, code, stdout, stderr, c.want)
		}
	}
}

// The app inherits the signal mask tini was started with and the signals
// ignored by tini's parent. It gets a process group of its own in tini's
// session.
func TestTiniAppInheritance(t *testing.T) {
	self := helper("")[0]
	t.Run("mask", func(t *testing.T) {
		p := start(t, options{pid1: true, argv0: "tini", wrap: []string{self, "with-mask", strconv.Itoa(int(unix.SIGUSR1))}},
			"--", self, "report-state")
		s := readAppState(p)
		p.expectExit(0)
		if s.sigBlk&sigBit(unix.SIGUSR1) == 0 {
			t.Errorf("SigBlk %x: SIGUSR1, blocked when tini started, is not blocked in the app", s.sigBlk)
		}
		if s.pgrp != s.pid {
			t.Errorf("app pid %d in process group %d; tini gives it a group of its own", s.pid, s.pgrp)
		}
		if s.sid == s.pid {
			t.Errorf("app pid %d leads a session; tini keeps it in its own", s.pid)
		}
		// tini ignores TTIN and TTOU itself; its app must not inherit that.
		if ttys := sigBit(unix.SIGTTIN) | sigBit(unix.SIGTTOU); s.sigIgn&ttys != 0 {
			t.Errorf("SigIgn %x: the app inherited tini's own ignored TTIN and TTOU", s.sigIgn)
		}
	})
	t.Run("ignored", func(t *testing.T) {
		p := start(t, options{pid1: true, argv0: "tini", wrap: []string{"sh", "-c", `trap '' HUP INT; exec "$@"`, "sh"}},
			"--", self, "report-state")
		s := readAppState(p)
		p.expectExit(0)
		if want := sigBit(unix.SIGHUP) | sigBit(unix.SIGINT); s.sigIgn&want != want {
			t.Errorf("SigIgn %x: HUP and INT, ignored when tini started, are not ignored in the app", s.sigIgn)
		}
	})
}

// --- dumb-init ---

// -r s:r rewrites signal numbers; s:0 drops s.
func TestDumbInitRewrite(t *testing.T) {
	p := start(t, dumbInitPID1, append([]string{"-r", "10:12", "--rewrite", "1:0", "--"}, helper("record-signals")...)...)
	readyPID(p)
	p.signal(unix.SIGUSR1)
	p.expect("app got 12")
	p.signal(unix.SIGHUP)
	p.signal(unix.SIGWINCH)
	p.expect("app got 28") // not "app got 1": HUP was dropped
	p.expectExit(0)
}

func TestDumbInitBadRewrite(t *testing.T) {
	const usage = "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.\n"
	for _, arg := range []string{"99:1", "15", "0:1", "x:y"} {
		code, stdout, stderr := runToEnd(t, dumbInitChild, "-r", arg, "true")
		if code != 1 || !strings.Contains(stderr, usage) || stdout != "" {
			t.Errorf("-r %s: exit %d, stdout %q, stderr %q; want 1 and %q", arg, code, stdout, stderr, usage)
		}
	}
}

// -c, --single-child and DUMB_INIT_SETSID=0 signal the app alone and keep it
// in dumb-init's session and process group.
func TestDumbInitSingleChild(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  []string
	}{
		{"-c", []string{"-c"}, nil},
		{"--single-child", []string{"--single-child"}, nil},
		{"DUMB_INIT_SETSID=0", nil, []string{"DUMB_INIT_SETSID=0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), helper("record-signals", "group")...)
			p := start(t, dumbInitPID1.with(c.env...), args...)
			readyPID(p)
			p.signal(unix.SIGUSR1)
			p.expect("app got 10")
			// The member would have reported USR1 before the app sees WINCH.
			p.signal(unix.SIGWINCH)
			p.expect("app got 28")
			p.expectExit(0)
			for _, r := range remainingReports(p) {
				if strings.HasPrefix(r, "member got") {
					t.Errorf("in single-child mode the member got a signal: %q", r)
				}
			}

			p = start(t, dumbInitChild.with(c.env...), append(append([]string{}, c.args...), helper("report-state")...)...)
			endOnCleanup(p)
			s := readAppState(p)
			// Asked while dumb-init runs: the app waits for its stdin.
			dumbInit := p.podinitPID()
			pgrp, err := unix.Getpgid(dumbInit)
			if err != nil {
				t.Fatal(err)
			}
			sid, err := unix.Getsid(dumbInit)
			if err != nil {
				t.Fatal(err)
			}
			p.expectExit(0)
			if s.sid != sid || s.pgrp != pgrp {
				t.Errorf("app in session %d, group %d; want dumb-init's session %d and group %d", s.sid, s.pgrp, sid, pgrp)
			}
		})
	}
}

// -v and DUMB_INIT_DEBUG=1 print dumb-init's debug lines on stderr.
func TestDumbInitDebug(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   []string
		debug bool
	}{
		{"default", nil, nil, false},
		{"-v", []string{"-v"}, nil, true},
		{"--verbose", []string{"--verbose"}, nil, true},
		{"DUMB_INIT_DEBUG=1", nil, []string{"DUMB_INIT_DEBUG=1"}, true},
		{"DUMB_INIT_DEBUG=0", nil, []string{"DUMB_INIT_DEBUG=0"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := start(t, dumbInitPID1.with(c.env...), append(append([]string{}, c.args...), helper("record-signals")...)...)
			app := readyPID(p)
			p.signal(unix.SIGUSR1)
			p.expect("app got 10")
			want := []string{
				fmt.Sprintf("[dumb-init] Child spawned with PID %d.\n", app),
				"[dumb-init] Received signal 10.\n",
				"[dumb-init] Forwarded signal 10 to children.\n",
			}
			if c.debug {
				// dumb-init may report the forwarding after the app has seen it.
				eventually(t, "the debug lines of a forwarded signal", func() bool {
					return strings.Contains(p.stderr.String(), want[2])
				})
			}
			p.expectExit(0)
			errout := p.stderr.String()
			if !c.debug {
				expectNoOutput(t, "stderr", errout, "[dumb-init]")
				return
			}
			expectOutput(t, "stderr", errout, append(want, "[dumb-init] Child exited with status 0. Goodbye.\n")...)
			if p.stdout.String() != "" {
				t.Errorf("debug lines are for stderr only; stdout:\n%s", p.stdout)
			}
		})
	}
}

// -V and -h print to stderr, as dumb-init does, and exit 0.
func TestDumbInitInformationalOptions(t *testing.T) {
	for _, arg := range []string{"-V", "--version"} {
		code, stdout, stderr := runToEnd(t, dumbInitChild, arg)
		if code != 0 || stdout != "" || strings.TrimSpace(stderr) == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and the version on stderr", arg, code, stdout, stderr)
		}
	}
	for _, arg := range []string{"-h", "--help"} {
		code, stdout, stderr := runToEnd(t, dumbInitChild, arg, "true")
		if code != 0 || stdout != "" || !strings.Contains(stderr, "Usage: dumb-init [option] command [[arg] ...]\n") ||
			!strings.Contains(stderr, "-c, --single-child") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and the help on stderr", arg, code, stdout, stderr)
		}
	}
}

// dumb-init's options end at the first non-option: the rest is the command's.
func TestDumbInitStopsAtFirstNonOption(t *testing.T) {
	p := start(t, dumbInitPID1, "sh", "-c", `echo "args $*" >&3`, "sh", "-v", "-c", "--bogus")
	p.expect("args -v -c --bogus")
	p.expectExit(0)
	expectNoOutput(t, "stderr", p.stderr.String(), "[dumb-init]")
}

// dumb-init moves itself to / so it keeps no mount busy; the app still runs
// where dumb-init was started, as the leader of a new session.
func TestDumbInitChdirAndNewSession(t *testing.T) {
	dir := t.TempDir()
	// $0 is the directory, "$@" dumb-init's command line.
	o := dumbInitPID1
	o.wrap = []string{"sh", "-c", `cd "$0" && exec "$@"`, dir}
	p := start(t, o, helper("report-state")...)
	s := readAppState(p)
	p.expectExit(0)
	if s.cwd != dir || s.parentCwd != "/" {
		t.Errorf("app in %q, dumb-init in %q; want app in %q, dumb-init in /", s.cwd, s.parentCwd, dir)
	}
	if s.sid != s.pid || s.pgrp != s.pid {
		t.Errorf("app pid %d, session %d, group %d; want it to lead a new session", s.pid, s.sid, s.pgrp)
	}
}

// When the app exits, dumb-init sends SIGTERM to what is left of its process
// group, and exits with the app's code without waiting for them.
func TestDumbInitTerminatesTheGroupWhenTheAppExits(t *testing.T) {
	// Not PID 1: the member must outlive dumb-init to report what it got.
	p := start(t, dumbInitChild, helper("leave-member", "3")...)
	var app, pgrp, member int
	if _, err := fmt.Sscanf(p.expectPrefix("ready "), "%d %d %d", &app, &pgrp, &member); err != nil {
		t.Fatal(err)
	}
	endOnCleanup(p, member)
	p.expectExit(3)
	p.expect("member got 15")
}

// A command that cannot be run: dumb-init's child reports it and exits 2.
func TestDumbInitExecFailure(t *testing.T) {
	code, _, stderr := runToEnd(t, dumbInitPID1, "no-such-command-anywhere")
	if code != 2 || !strings.Contains(stderr, "[dumb-init] no-such-command-anywhere: No such file or directory\n") {
		t.Errorf("missing command: exit %d, stderr %q; want 2 and dumb-init's line", code, stderr)
	}
	plain := notExecutable(t)
	code, _, stderr = runToEnd(t, dumbInitPID1, plain)
	if code != 2 || !strings.Contains(stderr, "[dumb-init] "+plain+": Permission denied\n") {
		t.Errorf("non-executable: exit %d, stderr %q; want 2 and dumb-init's line", code, stderr)
	}
}

func TestDumbInitUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "true"}, "dumb-init: unrecognized option '--bogus'\n"},
		{[]string{"-x", "true"}, "dumb-init: invalid option -- 'x'\n"},
		{nil, "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n"},
		{[]string{"-c", "--"}, "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n"},
		{[]string{"-r", "1:32", "true"}, dumbInitRewriteUsage},
		{[]string{"-r", "32:1", "true"}, dumbInitRewriteUsage},
		{[]string{"-r", "15", "true"}, dumbInitRewriteUsage},
	}
	for _, c := range cases {
		// Exactly the original's lines: an unknown option is getopt's one.
		code, stdout, stderr := runToEnd(t, dumbInitChild, c.args...)
		if code != 1 || stderr != c.want || stdout != "" {
			t.Errorf("dumb-init %v: exit %d, stdout %q, stderr %q; want 1 and exactly %q on stderr", c.args, code, stdout, stderr, c.want)
		}
	}
}

// Not PID 1, dumb-init stops itself after forwarding SIGTSTP, so the shell
// that started it sees the job stop. In setsid mode the app's group gets
// SIGSTOP: it has a session of its own, and the kernel discards TSTP sent to
// such an orphaned group. SIGCONT to dumb-init resumes both.
func TestDumbInitSuspendsOnTSTP(t *testing.T) {
	cases := []struct {
		name string
		args []string
		// what the app reports of the TSTP: nothing when it got SIGSTOP
		tstp string
	}{
		{"setsid", nil, ""},
		{"single-child", []string{"-c"}, "app got 20"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := start(t, dumbInitChild, append(append([]string{}, c.args...), helper("record-signals")...)...)
			app := readyPID(p)
			endOnCleanup(p, app)
			dumbInit := p.podinitPID()
			p.signal(unix.SIGTSTP)
			if c.tstp != "" {
				p.expect(c.tstp)
			} else {
				eventually(t, "the app is stopped", func() bool { return procState(app) == "T" })
			}
			eventually(t, "dumb-init is stopped", func() bool { return procState(dumbInit) == "T" })
			p.signal(unix.SIGCONT)
			p.expect("app got 18")
			eventually(t, "dumb-init runs again", func() bool { return procState(dumbInit) != "T" })
			if st := procState(app); st == "T" {
				t.Errorf("the app is still stopped after SIGCONT")
			}
			p.expectExit(0)
		})
	}
}

// dockerd's --init runs its docker-init as `docker-init -- CMD`: podinit by
// that name is tini, says nothing on a clean run, and its --version is what
// dockerd parses for `docker info` (the version before " - ", the commit
// after "git.").
func TestDockerInitPersona(t *testing.T) {
	dockerInit := options{pid1: true, argv0: "docker-init"}
	code, stdout, stderr := runToEnd(t, dockerInit, append([]string{"--"}, helper("exit", "3")...)...)
	if code != 3 || stdout != "" || stderr != "" {
		t.Errorf("docker-init -- CMD: exit %d, stdout %q, stderr %q; want 3 and nothing printed", code, stdout, stderr)
	}
	code, stdout, stderr = runToEnd(t, options{argv0: "docker-init"}, "--version")
	if code != 0 || stderr != "" {
		t.Fatalf("docker-init --version: exit %d, stderr %q", code, stderr)
	}
	// dockerd's parse, step by step.
	parts := strings.Split(strings.TrimSpace(stdout), " - ")
	if len(parts) < 2 {
		t.Fatalf("docker-init --version = %q: no \" - \" for dockerd to split at", stdout)
	}
	git := strings.Split(parts[1], ".")
	if parts[0] != "tini version 0.19.0" || len(git) != 2 || git[0] != "git" || git[1] == "" {
		t.Errorf("docker-init --version = %q: dockerd would not find tini's version and commit in it", stdout)
	}
	if !strings.Contains(stdout, "podinit ") {
		t.Errorf("docker-init --version = %q: does not name podinit", stdout)
	}
	p := start(t, dockerInit, append([]string{"--"}, helper("record-signals")...)...)
	p.expectPrefix("ready ")
	p.signal(unix.SIGUSR1)
	p.expect(fmt.Sprintf("app got %d", unix.SIGUSR1))
	p.expectExit(0)
}
