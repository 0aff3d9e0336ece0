package main

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/procfs"
	"github.com/podinit/podinit/signals"
)

var asPID1 = options{pid1: true}

func TestExitCodesPassThrough(t *testing.T) {
	for code := 0; code <= 255; code++ {
		got, out, errout := runToEnd(t, asPID1, append([]string{"-q", "--"}, helper("exit", strconv.Itoa(code))...)...)
		if got != code {
			t.Fatalf("app exited %d, podinit exited %d; output:\n%s%s", code, got, out, errout)
		}
	}
}

func TestDeathBySignalIs128PlusN(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGKILL, unix.SIGTERM, unix.SIGSEGV, unix.SIGABRT, unix.SIGUSR1, unix.SIGHUP, signals.RTMin + 2} {
		t.Run(signals.Name(sig), func(t *testing.T) {
			p := start(t, asPID1, "sh", "-c", fmt.Sprintf("kill -%d $$", int(sig)))
			p.expectExit(128 + int(sig))
			want := fmt.Sprintf("killed by %s: exit code %d", signals.Name(sig), 128+int(sig))
			if !strings.Contains(p.stdout.String(), want) {
				t.Fatalf("podinit's log does not say %q:\n%s", want, p.stdout)
			}
		})
	}
}

// forwardable lists every signal podinit catches and passes on.
func forwardable() []unix.Signal {
	var out []unix.Signal
	for sig := unix.Signal(1); sig <= signals.RTMax; sig++ {
		if signals.Forwardable(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// Every forwardable signal reaches the app and, by default, every process in
// its group; TERM and INT, which start the stop sequence, come last. The Go
// runtime keeps PROF, URG, 32, 33 and SIGRTMIN (34) from the helper, so a
// shell checks those below.
func TestEverySignalReachesTheWholeGroup(t *testing.T) {
	p := start(t, asPID1, append([]string{"--stop-timeout", "1m", "--"}, helper("record-signals", "group")...)...)
	p.expectPrefix("ready ")
	sigs := forwardable()
	sigs = append(without(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGPROF, unix.SIGURG, 32, 33, signals.RTMin), unix.SIGINT, unix.SIGTERM)
	for _, sig := range sigs {
		p.signal(sig)
		want := map[string]bool{fmt.Sprintf("app got %d", sig): true, fmt.Sprintf("member got %d", sig): true}
		for len(want) > 0 {
			select {
			case got := <-p.reports:
				if !want[got] {
					t.Fatalf("after %s: unexpected report %q", signals.Name(sig), got)
				}
				delete(want, got)
			case <-time.After(deadline):
				t.Fatalf("after %s: missing reports %v; podinit output:\n%s%s", signals.Name(sig), want, p.stdout, p.stderr)
			}
		}
	}
	p.expectExit(0)
}

func TestSignalsTheGoRuntimeUsesReachTheApp(t *testing.T) {
	p := start(t, asPID1, "sh", "-c", `for s in PROF URG 34; do trap "echo got $s >&3" $s; done; echo ready >&3; while :; do sleep 1 & wait $!; done`)
	p.expect("ready")
	for _, sig := range []unix.Signal{unix.SIGPROF, unix.SIGURG, signals.RTMin} {
		p.signal(sig)
		name := strings.TrimPrefix(signals.Name(sig), "SIG")
		if sig == signals.RTMin {
			name = "34"
		}
		p.expect("got " + name)
	}
}

// A signal a process in the container sends PID 1, the synchronous ones
// included (kill -SEGV 1 is the classic), reaches the app and PID 1 lives on,
// for podinit and for its personas. The signals the Go runtime keeps from the
// helper are checked by TestSignalsTheGoRuntimeUsesReachTheApp.
func TestEverySignalFromInsideTheContainerReachesTheApp(t *testing.T) {
	sigs := without(forwardable(), unix.SIGTERM, unix.SIGINT, unix.SIGPROF, unix.SIGURG, 32, 33, signals.RTMin)
	for _, persona := range []struct {
		argv0, sep string
		own        []unix.Signal // what the persona does otherwise, as its original does
	}{
		{"", "--", nil},
		{"tini", "--", []unix.Signal{unix.SIGTTIN, unix.SIGTTOU}},                  // ignored
		{"dumb-init", "", []unix.Signal{unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU}}, // sent as SIGSTOP
	} {
		t.Run("as "+cmp.Or(persona.argv0, "podinit"), func(t *testing.T) {
			o := asPID1
			o.argv0 = persona.argv0
			args := helper("record-signals", "from-inside")
			if persona.sep != "" {
				args = append([]string{persona.sep}, args...)
			}
			p := start(t, o, args...)
			p.expectPrefix("ready ")
			for _, sig := range append(without(sigs, persona.own...), unix.SIGTERM) {
				if _, err := fmt.Fprintf(p.stdin, "%d\n", sig); err != nil {
					t.Fatal(err)
				}
				p.expect(fmt.Sprintf("app got %d", sig))
			}
			p.expectExit(0)
		})
	}
}

// --verbose says who sent each signal: a process of the container by pid and
// name, one outside the PID namespace as such.
func TestVerboseNamesTheSender(t *testing.T) {
	p := start(t, asPID1, append([]string{"--verbose", "--"}, helper("record-signals", "from-inside")...)...)
	app := strings.Fields(p.expectPrefix("ready "))[0]
	fmt.Fprintf(p.stdin, "%d\n", unix.SIGSEGV)
	p.expect(fmt.Sprintf("app got %d", unix.SIGSEGV))
	p.signal(unix.SIGUSR1)
	p.expect(fmt.Sprintf("app got %d", unix.SIGUSR1))
	p.stdin.Close()
	p.expectExit(0)
	wantAll(t, "podinit's log", p.stdout.String(),
		"podinit received SIGSEGV from pid "+app+" ("+filepath.Base(helperBin)+")",
		"podinit forwarded SIGSEGV to process group "+app,
		"podinit received SIGUSR1 from outside the PID namespace")
}

// 32 and 33 are the C library's own: no C or Go program can catch them, so an
// app killed by one, and podinit's exit code 128+N, show they arrived.
func TestSignals32And33ReachTheApp(t *testing.T) {
	for _, sig := range []unix.Signal{32, 33} {
		p := start(t, asPID1, "sh", "-c", "echo ready >&3; exec sleep 1000")
		p.expect("ready")
		eventually(t, "sleep to be the app", func() bool {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.podinitPID(), p.podinitPID()))
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			return strings.TrimSpace(string(comm)) == "sleep"
		})
		p.signal(sig)
		p.expectExit(128 + int(sig))
	}
}

func without(sigs []unix.Signal, drop ...unix.Signal) []unix.Signal {
	var out []unix.Signal
	for _, s := range sigs {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func TestSingleChildSignalsTheAppAlone(t *testing.T) {
	p := start(t, asPID1, append([]string{"--single-child", "--"}, helper("record-signals", "group")...)...)
	p.expectPrefix("ready ")
	p.signal(unix.SIGUSR1)
	p.expect("app got 10")
	// The member would have reported USR1 before WINCH: signals are
	// forwarded in the order they arrive.
	p.signal(unix.SIGWINCH)
	p.expect("app got 28")
	p.expectExit(0)
}

func TestRewriteAndDrop(t *testing.T) {
	p := start(t, asPID1, append([]string{"--rewrite", "USR1:USR2", "-r", "HUP:0", "-r", "40:RTMIN+1", "--"}, helper("record-signals")...)...)
	p.expectPrefix("ready ")
	p.signal(unix.SIGUSR1)
	p.expect("app got 12")
	p.signal(unix.SIGHUP)
	p.signal(unix.Signal(40))
	p.expect("app got 35") // not "app got 1": HUP was dropped
	p.expectExit(0)
}

func TestRewriteFromTheEnvironment(t *testing.T) {
	p := start(t, options{pid1: true, env: []string{"PODINIT_REWRITE=USR1:USR2,WINCH:HUP"}}, helper("record-signals")...)
	p.expectPrefix("ready ")
	p.signal(unix.SIGUSR1)
	p.expect("app got 12")
	p.signal(unix.SIGWINCH)
	p.expect("app got 1")
	p.expectExit(0)
}

// A burst of queued real-time signals reaches the app one for one. The app
// blocks the signal from its start and reads it from a signalfd, so that its
// own runtime cannot merge what podinit delivers.
func TestRealtimeSignalsForwardedOneForOne(t *testing.T) {
	const burst = 1000
	self := helper("")[0]
	p := start(t, asPID1, self, "with-mask", "39", self, "count-signals", "39", strconv.Itoa(burst))
	p.expect("ready")
	for i := 0; i < burst; i++ {
		p.signal(39)
	}
	p.expect(fmt.Sprintf("counted %d", burst))
	p.expectExit(0)
}

func TestOrphansLeaveNoZombie(t *testing.T) {
	const n = 10000
	p := start(t, asPID1, helper("orphans", strconv.Itoa(n))...)
	began := time.Now()
	p.expect(fmt.Sprintf("orphaned %d", n))
	t.Logf("%d orphans made in %s", n, time.Since(began))
	pid := p.podinitPID()
	eventually(t, "podinit reaps every orphan", func() bool { return len(zombiesUnder(pid)) == 0 })
	p.expectExit(0)
}

// The app's status must survive a reaper flooded by orphans exiting with it.
func TestAppStatusSurvivesOrphansExitingTogether(t *testing.T) {
	for i := 0; i < 5; i++ {
		p := start(t, asPID1, append([]string{"-q", "--"}, helper("exit-with-orphans", "2000", "42")...)...)
		p.expect("orphaned 2000")
		p.expectExit(42)
	}
}

func TestStopTimeoutKillsAnAppIgnoringTerm(t *testing.T) {
	p := start(t, asPID1, append([]string{"--stop-timeout", "500ms", "--"}, helper("ignore-term")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	p.expectExit(137)
	out := p.stdout.String()
	for _, want := range []string{
		"received SIGTERM: stopping the app",
		"app still running 500ms after its stop signal: sending SIGKILL to process group",
		"killed by SIGKILL: exit code 137",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestGracePeriodBoundsTheStop(t *testing.T) {
	p := start(t, asPID1, append([]string{"--grace-period", "700ms", "--"}, helper("ignore-term")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	p.expectExit(137)
	if !strings.Contains(p.stdout.String(), "sending SIGKILL") {
		t.Fatalf("log does not report the SIGKILL:\n%s", p.stdout)
	}
}

func TestRemapExit(t *testing.T) {
	code, _, _ := runToEnd(t, asPID1, append([]string{"-e", "3", "--remap-exit", "143", "--"}, helper("exit", "143")...)...)
	if code != 0 {
		t.Fatalf("143 remapped: exit %d, want 0", code)
	}
	code, _, _ = runToEnd(t, options{pid1: true, env: []string{"PODINIT_REMAP_EXIT=1,143"}}, helper("exit", "3")...)
	if code != 3 {
		t.Fatalf("3 not remapped: exit %d, want 3", code)
	}
}

func TestLeftoversAreTerminatedThenKilled(t *testing.T) {
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			p := start(t, options{pid1: pid1}, append([]string{"--leftover-timeout", "300ms", "--"}, helper("leftovers", "7")...)...)
			rest := p.expectPrefix("leftovers ")
			p.expectExit(7)
			out := p.stdout.String()
			if !strings.Contains(out, "2 process(es) outlived the app: sending SIGTERM") ||
				!strings.Contains(out, "outlived the app: sending SIGKILL") {
				t.Fatalf("log does not show TERM then KILL for the leftovers:\n%s", out)
			}
			if !pid1 {
				for _, f := range strings.Fields(rest) {
					if _, err := os.Stat("/proc/" + f); err == nil {
						t.Errorf("leftover %s still exists after podinit exited", f)
					}
				}
			}
		})
	}
}

func TestNotPID1ReapsAsSubreaper(t *testing.T) {
	p := start(t, options{}, append([]string{"-v", "--"}, helper("orphans", "500")...)...)
	p.expect("orphaned 500")
	pid := p.podinitPID()
	eventually(t, "podinit reaps every orphan", func() bool { return len(zombiesUnder(pid)) == 0 })
	p.expectExit(0)
	out := p.stdout.String()
	if !strings.Contains(out, "registered as child subreaper") {
		t.Fatalf("verbose log does not mention the subreaper:\n%s", out)
	}
	if n := strings.Count(out, "reaped pid"); n != 500 {
		t.Fatalf("podinit reaped %d orphans, want 500:\n%s", n, out)
	}
}

// qemu-user answers PR_SET_CHILD_SUBREAPER with EINVAL: a real refusal, as
// a seccomp profile that denies prctl gives. Orphans then escape podinit, but
// the app must still run, get its signals and give its exit code; podinit
// says at the default level that it is not reaping.
func TestARefusedSubreaperWarnsAndRunsTheApp(t *testing.T) {
	p := start(t, underEmulator(t, options{}), helper("record-signals", "until-term")...)
	p.expectPrefix("ready ")
	p.signal(unix.SIGTERM)
	p.expect("app got 15")
	p.expectExit(0)
	expectOutput(t, "stdout", p.stdout.String(), "could not register as child subreaper (invalid argument): orphans of the app are not reaped here")

	code, stdout, stderr := runToEnd(t, underEmulator(t, tiniChild), "-s", "--", "sh", "-c", "exit 5")
	if code != 5 {
		t.Fatalf("tini -s: exit %d, want 5; output:\n%s%s", code, stdout, stderr)
	}
	expectOutput(t, "tini's stderr", stderr,
		"] Failed to register as child subreaper: Invalid argument\n",
		"] Tini is not running as PID 1 and isn't registered as a child subreaper.\n")
}

func TestCommandNotFoundOrNotExecutable(t *testing.T) {
	code, _, errout := runToEnd(t, asPID1, "no-such-command-anywhere")
	if code != 127 || !strings.Contains(errout, "no-such-command-anywhere") {
		t.Fatalf("missing command: exit %d, stderr %q; want 127 naming it", code, errout)
	}
	plain := t.TempDir() + "/not-executable"
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errout = runToEnd(t, asPID1, plain)
	if code != 126 || !strings.Contains(errout, plain) || !strings.Contains(errout, "permission denied") {
		t.Fatalf("non-executable: exit %d, stderr %q; want 126 naming it", code, errout)
	}
	code, _, _ = runToEnd(t, asPID1, "/no/such/path")
	if code != 127 {
		t.Fatalf("missing path: exit %d, want 127", code)
	}
}

func TestPdeathSignalReachesTheApp(t *testing.T) {
	// podinit's parent is a shell that exits when the test says so.
	p := start(t, options{wrap: []string{"sh", "-c", `"$@" & read x; exit 0`, "sh"}},
		append([]string{"--pdeath-signal", "USR1", "--"}, helper("record-signals", "until-term")...)...)
	var app, pgrp int
	if _, err := fmt.Sscanf(p.expectPrefix("ready "), "%d %d", &app, &pgrp); err != nil {
		t.Fatal(err)
	}
	podinit, ok := ppidOf(app)
	if !ok {
		t.Fatalf("no parent for app pid %d", app)
	}
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	p.expect("app got 10")
	// podinit outlived its parent; stop it as a runtime would.
	if err := unix.Kill(podinit, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.expect("app got 15")
	p.expectExit(0)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := runToEnd(t, options{}, args...)
		if code != 0 || !strings.HasPrefix(out, "podinit ") || !strings.Contains(out, "go1.") {
			t.Fatalf("podinit %v: exit %d, %q", args, code, out)
		}
	}
}

// fillProcesses forks until the kernel refuses (RLIMIT_NPROC), reports "full
// N" on fd 3, then reports SIGUSR1 and exits 5 on SIGTERM. Perl, not a shell
// (which gives up once fork fails) or Go (which needs threads of its own).
// The signals stay blocked but inside sigsuspend(2): perl runs its handlers
// between statements, and one landing just before a sleep would wait for it.
const fillProcesses = `use POSIX; open(my $r, ">&=3") or die; select($r); $| = 1;
$SIG{TERM} = sub { print $r "app got TERM\n"; exit 5 };
$SIG{USR1} = sub { print $r "app got USR1\n" };
sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR1, SIGTERM));
my $n = 0;
while (1) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 1000; exit 0 } $n++ }
print $r "full $n\n";
sigsuspend(POSIX::SigSet->new) while 1;`

// An app that uses up its user's RLIMIT_NPROC leaves PID 1, of the same
// user, unable to start a thread or a process: it needs no new thread, so
// it forwards, reports the phase it could not start, and exits with the
// app's code.
func TestPID1SurvivesAnAppThatUsesUpRLIMIT_NPROC(t *testing.T) {
	for _, tool := range []string{"perl", "prlimit", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %s (perl-base, util-linux)", tool)
		}
	}
	o := asPID1
	o.wrap = []string{"prlimit", "--nproc=60:60", "setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"}
	p := start(t, o, "--single-child", "--prestop", "sleep 1ms", "--", "perl", "-e", fillProcesses)
	p.expectPrefix("full ")
	threads := func() int {
		f, err := procfs.StatFields(procfs.Dir(p.podinitPID()))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(f[17]) // num_threads, field 20 of proc(5)
		return n
	}
	before := threads()
	for range 20 {
		p.signal(unix.SIGUSR1)
		p.expect("app got USR1")
	}
	if after := threads(); after > before {
		t.Errorf("PID 1 went from %d to %d threads after start-up", before, after)
	}
	p.signal(unix.SIGTERM)
	p.expect("app got TERM")
	p.expectExit(5)
	wantAll(t, "log", p.stdout.String(), "prestop failed", "cannot start the phase process", "app (pid")
}
