package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The lifecycle tests run podinit as PID 1 with a plan, a real HTTP server on
// 127.0.0.1 as the service registry, and `podinit hook` run inside podinit's
// PID namespace with nsenter, as kubelet's exec hooks run inside the
// container. Times are CLOCK_MONOTONIC, which every process reads alike.

func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// stampSignals reports "got N at NS" for TERM, INT, USR1 and USR2, and exits 0
// after TERM, as an app that stops cleanly does.
func stampSignals() int {
	c := make(chan os.Signal, 16)
	signal.Notify(c, unix.SIGTERM, unix.SIGINT, unix.SIGUSR1, unix.SIGUSR2)
	reportf("ready")
	for s := range c {
		reportf("got %d at %d", int(s.(syscall.Signal)), monoNow())
		if s == unix.SIGTERM {
			return 0
		}
	}
	return 0
}

// serveTCP PORT: listens on 127.0.0.1:PORT and [::1]:PORT, reports "accepted"
// for each connection, keeps it until the peer closes it, and exits 0 on TERM.
func serveTCP(args []string) int {
	c := make(chan os.Signal, 1)
	signal.Notify(c, unix.SIGTERM)
	for _, addr := range []string{"127.0.0.1:" + args[0], "[::1]:" + args[0]} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			reportf("error %v", err)
			return 1
		}
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				reportf("accepted")
				go func() {
					_, _ = conn.Read(make([]byte, 1))
					conn.Close()
				}()
			}
		}()
	}
	reportf("ready")
	<-c
	reportf("got 15 at %d", monoNow())
	return 0
}

// registry is a service registry on 127.0.0.1 that records every request
// with its arrival time and answers as the test says.
type registry struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
	stamps   []int64
	answer   func(n int, w http.ResponseWriter, r *http.Request)
}

func newRegistry(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *registry {
	reg := &registry{answer: answer}
	reg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		reg.requests = append(reg.requests, r.Method+" "+r.URL.RequestURI())
		reg.stamps = append(reg.stamps, monoNow())
		n := len(reg.requests)
		reg.mu.Unlock()
		if reg.answer != nil {
			reg.answer(n, w, r)
		}
	}))
	t.Cleanup(reg.Close)
	return reg
}

func (r *registry) seen() ([]string, []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.requests...), append([]int64{}, r.stamps...)
}

// hook runs `podinit hook ARGS...` inside p's PID namespace, as kubelet's exec
// hook runs in the container, and returns its exit code and output.
func (p *proc) hook(t *testing.T, user string, args ...string) (int, string, string) {
	t.Helper()
	ns := []string{"-t", strconv.Itoa(p.podinitPID()), "-p", "-m"}
	if user != "" {
		ns = append(ns, "-S", user, "-G", user)
	}
	cmd := exec.Command("nsenter", append(append(ns, podinitBin, "hook"), args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return exitCodeOf(err), out.String(), errb.String()
}

// stampOf reads the time out of a "got N at NS" report.
func stampOf(t *testing.T, report string) int64 {
	t.Helper()
	_, at, ok := strings.Cut(report, " at ")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		t.Fatalf("report %q has no time", report)
	}
	return n
}

func TestPrestopDeregistersSleepsThenSignals(t *testing.T) {
	reg := newRegistry(t, nil)
	p := start(t, options{pid1: true, env: []string{"HOSTNAME=pod-1"}}, append([]string{
		"--prestop", "http PUT " + reg.URL + "/eureka/apps/DEMO/${HOSTNAME}/status?value=OUT_OF_SERVICE",
		"--prestop", "sleep 400ms", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	term := stampOf(t, p.expectPrefix("got 15"))
	p.expectExit(0)
	requests, stamps := reg.seen()
	if want := "PUT /eureka/apps/DEMO/pod-1/status?value=OUT_OF_SERVICE"; len(requests) != 1 || requests[0] != want {
		t.Fatalf("registry saw %q, want one %q; podinit output:\n%s%s", requests, want, p.stdout, p.stderr)
	}
	if gap := time.Duration(term - stamps[0]); gap < 400*time.Millisecond {
		t.Fatalf("the app got SIGTERM %s after the deregistration; the 400ms sleep came between", gap)
	}
	out := p.stdout.String()
	for _, want := range []string{
		"podinit prestop: 2 step(s)", "podinit prestop 1/2 http PUT", "prestop 1/2 ok in", "(200 OK)",
		"prestop 2/2 sleep 400ms ...", "prestop 2/2 ok in", "podinit prestop ok in", "left",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// A registry that fails costs the stop no more than its budget: the step is
// retried, reported, and the app is still signalled within the grace period.
func TestPrestopRegistryFailures(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + refused.Addr().String()
	refused.Close()
	cases := []struct {
		name    string
		answer  func(n int, w http.ResponseWriter, r *http.Request)
		url     string
		want    []string
		minReqs int
	}{
		{"refused", nil, refusedURL, []string{"connection refused", "prestop 1/1 cut short"}, 0},
		{"503 four times", func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 4 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}, "", []string{"prestop 1/1 ok", "200 OK after 5 attempt(s)"}, 5},
		{"hanging", func(n int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, "",
			[]string{"prestop 1/1 cut short"}, 1},
		{"404", func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }, "",
			[]string{"prestop 1/1 failed", "giving up after 1 attempt(s): 404 Not Found"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := newRegistry(t, c.answer)
			url := c.url
			if url == "" {
				url = reg.URL
			}
			p := start(t, asPID1, append([]string{"--grace-period", "3s", "--stop-timeout", "1s",
				"--prestop", "http PUT " + url + "/status", "--"}, helper("stamp-signals")...)...)
			p.expect("ready")
			began := time.Now()
			p.signal(unix.SIGTERM)
			p.expectPrefix("got 15")
			p.expectExit(0)
			if took := time.Since(began); took > 3*time.Second+time.Second {
				t.Errorf("the stop took %s; the grace period is 3s", took)
			}
			out := p.stdout.String()
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if reqs, _ := reg.seen(); len(reqs) < c.minReqs {
				t.Errorf("registry saw %d request(s), want at least %d", len(reqs), c.minReqs)
			}
		})
	}
}

func TestHookAndSignalTogetherRunPrestopOnce(t *testing.T) {
	reg := newRegistry(t, nil)
	p := start(t, asPID1, append([]string{"--prestop", "http PUT " + reg.URL + "/down", "--prestop", "sleep 500ms", "--"},
		helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)                        // docker stop's signal starts prestop ...
	code, out, errout := p.hook(t, "", "prestop") // ... and the hook joins it
	if code != 0 {
		t.Fatalf("hook exit %d: %s%s", code, out, errout)
	}
	if !strings.Contains(out, "prestop 1/2 http PUT") || !strings.Contains(out, "podinit prestop ok in") {
		t.Fatalf("the hook did not stream the phase:\n%s", out)
	}
	p.expectPrefix("got 15")
	p.expectExit(0)
	if reqs, _ := reg.seen(); len(reqs) != 1 {
		t.Fatalf("registry saw %v: the phase ran more than once", reqs)
	}
}

func TestConcurrentHooksStreamTheSameRun(t *testing.T) {
	reg := newRegistry(t, nil)
	p := start(t, asPID1, append([]string{"--prestop", "http PUT " + reg.URL + "/down", "--prestop", "sleep 300ms", "--"},
		helper("stamp-signals")...)...)
	p.expect("ready")
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i], _ = p.hook(t, "", "prestop")
		}()
	}
	wg.Wait()
	if codes[0] != 0 || codes[1] != 0 || outs[0] != outs[1] || !strings.Contains(outs[0], "prestop ok in") {
		t.Fatalf("hooks exited %v with different or incomplete progress:\n%s\n---\n%s", codes, outs[0], outs[1])
	}
	if reqs, _ := reg.seen(); len(reqs) != 1 {
		t.Fatalf("registry saw %v: the phase ran more than once", reqs)
	}
	// kubelet's SIGTERM after the hook: the phase is over, so it is forwarded at once.
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
}

func TestTermCutsHookStartedPrestopShort(t *testing.T) {
	p := start(t, asPID1, append([]string{"--prestop", "sleep 60s", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errout := p.hook(t, "", "prestop")
		done <- result{code, out, errout}
	}()
	eventually(t, "the hook starts prestop", func() bool { return strings.Contains(p.stdout.String(), "prestop 1/1 sleep 60s ...") })
	p.signal(unix.SIGTERM) // kubelet gave up waiting for the hook
	p.expectPrefix("got 15")
	p.expectExit(0)
	r := <-done
	if r.code == 0 || !strings.Contains(r.err, "cut short") {
		t.Fatalf("hook exit %d, stderr %q: want a failure saying the phase was cut short", r.code, r.err)
	}
	if !strings.Contains(p.stdout.String(), "prestop 1/1 cut short") {
		t.Fatalf("log does not report the cut:\n%s", p.stdout)
	}
}

func TestFailingPoststartStopsTheApp(t *testing.T) {
	// The check fails once the app is listening for signals, as a readiness
	// check fails against an app that is up but broken.
	up := filepath.Join(t.TempDir(), "up")
	check := fmt.Sprintf("exec sh -c 'until [ -e %s ]; do sleep 0.05; done; echo not ready; exit 3'", up)
	p := start(t, asPID1, append([]string{"--poststart", check, "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	if err := os.WriteFile(up, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.expectPrefix("got 15")
	p.expectExit(1)
	out := p.stdout.String()
	for _, want := range []string{"poststart 1/1 | not ready", "poststart 1/1 failed", "exit code 3", "stopping the app"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestOptionalPoststartOnlyWarns(t *testing.T) {
	p := start(t, asPID1, append([]string{"--poststart", "exec --optional false", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	code, _, errout := p.hook(t, "", "poststart")
	if code != 0 {
		t.Fatalf("poststart hook exit %d (%s), want 0: the failed step was optional", code, errout)
	}
	if !strings.Contains(p.stdout.String(), "failed (optional, going on)") {
		t.Fatalf("log lacks the warning:\n%s", p.stdout)
	}
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
}

func TestPoststartHookReportsFailure(t *testing.T) {
	p := start(t, asPID1, append([]string{"--poststart", "wait-tcp 127.0.0.1:1 --timeout 300ms", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	code, out, errout := p.hook(t, "", "poststart")
	if code == 0 || !strings.Contains(errout, "poststart: step 1 (wait-tcp 127.0.0.1:1 --timeout 300ms)") {
		t.Fatalf("hook exit %d, stderr %q: want non-zero naming the step", code, errout)
	}
	if !strings.Contains(out, "poststart 1/1 failed") {
		t.Fatalf("hook output lacks the failure:\n%s", out)
	}
	p.expectPrefix("got 15")
	p.expectExit(1)
}

// freePort returns a TCP port free on both 127.0.0.1 and ::1 at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if ln6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port)); err == nil {
			ln6.Close()
			return port
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and ::1")
	return 0
}

func TestWaitDrainWaitsForOpenConnections(t *testing.T) {
	port := freePort(t)
	p := start(t, asPID1, append([]string{"--prestop", fmt.Sprintf("wait-drain %d", port), "--"},
		helper("serve-tcp", strconv.Itoa(port))...)...)
	p.expect("ready")
	v4, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	v6, err := net.Dial("tcp", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	p.expect("accepted")
	p.expect("accepted")
	p.signal(unix.SIGTERM)
	eventually(t, "prestop starts waiting", func() bool {
		return strings.Contains(p.stdout.String(), "waiting for 2 connection(s) on port")
	})
	v4.Close()
	lastClosed := monoNow()
	v6.Close()
	term := stampOf(t, p.expectPrefix("got 15"))
	if term < lastClosed {
		t.Fatal("the app got SIGTERM while connections were still open")
	}
	p.expectExit(0)
	if out := p.stdout.String(); !strings.Contains(out, "2 connection(s) drained") {
		t.Fatalf("log lacks the drain:\n%s", out)
	}
}

func TestSignalThenWaitExit(t *testing.T) {
	p := start(t, asPID1, append([]string{"-v", "--prestop", "signal TERM", "--prestop", "wait-exit --timeout 10s", "--"},
		helper("stamp-signals")...)...)
	p.expect("ready")
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
	out := p.stdout.String()
	for _, want := range []string{"prestop 1/2 ok", "sent SIGTERM to process group", "prestop 2/2 ok", "(app exited)"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	// The app was gone before podinit's own forward: it got one SIGTERM.
	if strings.Count(out, "forwarded SIGTERM") != 0 {
		t.Errorf("podinit forwarded SIGTERM to an app that had exited:\n%s", out)
	}
}

func TestHookFromAnotherUserIsRefused(t *testing.T) {
	reg := newRegistry(t, nil)
	p := start(t, asPID1, append([]string{"--prestop", "http PUT " + reg.URL + "/down", "--"}, helper("stamp-signals")...)...)
	p.expect("ready")
	code, _, errout := p.hook(t, "1000", "prestop")
	if code == 0 || !strings.Contains(errout, "refused: user 1000") {
		t.Fatalf("hook as user 1000: exit %d, stderr %q; want a refusal", code, errout)
	}
	if reqs, _ := reg.seen(); len(reqs) != 0 {
		t.Fatalf("the refused hook ran prestop: registry saw %v", reqs)
	}
	p.signal(unix.SIGTERM)
	p.expectPrefix("got 15")
	p.expectExit(0)
}

// foreignPID1 runs argv as PID 1 of a new PID namespace in podinit's
// place, as in a stock image, and returns it as a proc (for p.hook) and its
// standard output, the container's log.
func foreignPID1(t *testing.T, argv ...string) (*proc, *syncBuffer) {
	t.Helper()
	requireRoot(t)
	var log syncBuffer
	cmd := exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc"}, argv...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout = &log
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := &proc{t: t, cmd: cmd, pid1: true, stdin: stdin, reports: make(chan string, 100), done: make(chan struct{})}
	go func() {
		for {
			line, err := readLine(r)
			if err != nil {
				close(p.reports)
				return
			}
			p.reports <- line
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		if pid := p.podinitPID(); pid > 0 {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		_ = cmd.Wait()
	})
	return p, &log
}

// When PID 1 is not podinit, the hook runs its own steps and writes its
// progress into PID 1's standard output, the container's log.
func TestStandaloneHookWritesIntoPID1Log(t *testing.T) {
	p, pid1Log := foreignPID1(t, helper("pid")...)
	if line := p.report(); !strings.HasPrefix(line, "pid 1 ") {
		t.Fatalf("PID 1 reported %q", line)
	}
	code, _, errout := p.hook(t, "", "prestop", "exec echo deregistered", "sleep 10ms")
	if code != 0 {
		t.Fatalf("standalone hook exit %d: %s", code, errout)
	}
	eventually(t, "the progress reaches PID 1's log", func() bool {
		return strings.Contains(pid1Log.String(), "podinit prestop ok in")
	})
	for _, want := range []string{"prestop 1/2 | deregistered", "prestop 2/2 sleep 10ms ..."} {
		if !strings.Contains(pid1Log.String(), want) {
			t.Errorf("PID 1's log lacks %q:\n%s", want, pid1Log.String())
		}
	}
}

// The standalone hook's descriptor on PID 1's output lives as long as the
// hook, however often the garbage collector runs: no line is lost.
func TestStandaloneHookLosesNoLineToTheGarbageCollector(t *testing.T) {
	p, pid1Log := foreignPID1(t, helper("pid")...)
	if line := p.report(); !strings.HasPrefix(line, "pid 1 ") {
		t.Fatalf("PID 1 reported %q", line)
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(p.podinitPID()), "-p", "-m", podinitBin, "hook", "prestop", "exec seq 1 3000")
	cmd.Env = append(os.Environ(), "GOGC=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("standalone hook: %v: %s", err, out)
	}
	eventually(t, "the progress reaches PID 1's log", func() bool {
		return strings.Contains(pid1Log.String(), "podinit prestop ok in")
	})
	log := pid1Log.String()
	for i := 1; i <= 3000; i++ {
		if !strings.Contains(log, fmt.Sprintf("prestop 1/1 | %d\n", i)) {
			t.Fatalf("PID 1's log lacks line %d of the step's output", i)
		}
	}
}

// A standalone hook aims signal and wait-exit at the process --pidof names:
// the kill-and-wait loop people write into preStop by hand.
func TestStandaloneHookStopsAProcessByName(t *testing.T) {
	p, pid1Log := foreignPID1(t, "sh", "-c", `sleep 1000 & echo ready >&3; wait; echo "sleep ended" >&3; read x`)
	p.expect("ready")
	code, _, errout := p.hook(t, "", "prestop", "--pidof", "sleep", "signal TERM", "wait-exit --timeout 20s")
	if code != 0 {
		t.Fatalf("standalone hook exit %d: %s", code, errout)
	}
	p.expect("sleep ended")
	eventually(t, "the progress reaches PID 1's log", func() bool {
		return strings.Contains(pid1Log.String(), "podinit prestop ok in")
	})
	for _, want := range []string{"prestop 1/2 ok", "(sent SIGTERM to pid ", "prestop 2/2 ok", "(app exited)"} {
		if !strings.Contains(pid1Log.String(), want) {
			t.Errorf("PID 1's log lacks %q:\n%s", want, pid1Log.String())
		}
	}
	code, _, errout = p.hook(t, "", "prestop", "--pidof", "no-such-process", "signal TERM")
	if code == 0 || !strings.Contains(errout, "--pidof no-such-process: no such process") {
		t.Fatalf("--pidof of nothing: exit %d, stderr %q", code, errout)
	}
}

func readLine(r *os.File) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := r.Read(one); err != nil {
			return string(b), err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
}

func TestTerminationMessage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		stop bool
		want []string
	}{
		{"normal exit", helper("exit", "3"), false, []string{"app exited with code 3"}},
		{"crash", []string{"sh", "-c", "kill -SEGV $$"}, false, []string{"app killed by SIGSEGV (exit code 139)"}},
		{"killed at the stop timeout", append([]string{"--stop-timeout", "300ms", "--prestop", "sleep 10ms", "--"}, helper("ignore-term")...), true,
			[]string{"app killed by SIGKILL (exit code 137)", "prestop: ok (started by signal)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(msg, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			p := start(t, asPID1, append([]string{"--termination-log", msg}, c.args...)...)
			if c.stop {
				p.expect("ready")
				p.signal(unix.SIGTERM)
			}
			p.wait()
			b, _ := os.ReadFile(msg)
			for _, want := range c.want {
				if !strings.Contains(string(b), want) {
					t.Errorf("termination message %q lacks %q", b, want)
				}
			}
		})
	}
	// podinit never creates the file: Kubernetes provides it.
	missing := filepath.Join(t.TempDir(), "absent")
	runToEnd(t, asPID1, append([]string{"--termination-log", missing, "--"}, helper("exit", "0")...)...)
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("podinit created a termination log that did not exist")
	}
}

// The tini and dumb-init personas keep their command lines and take the
// lifecycle from PODINIT_* variables, hooks included.
func TestPersonasTakeTheLifecycleFromTheEnvironment(t *testing.T) {
	for _, persona := range []string{"tini", "dumb-init"} {
		t.Run(persona, func(t *testing.T) {
			p := start(t, options{pid1: true, argv0: persona, env: []string{"PODINIT_PRESTOP=exec echo deregistered; sleep 10ms"}},
				helper("stamp-signals")...)
			p.expect("ready")
			code, out, errout := p.hook(t, "", "prestop")
			if code != 0 || !strings.Contains(out, "prestop 1/2 | deregistered") {
				t.Fatalf("hook exit %d: %s%s", code, out, errout)
			}
			p.signal(unix.SIGTERM)
			p.expectPrefix("got 15")
			p.expectExit(0)
		})
	}
}

// An app that exits at once races its own poststart; poststop must still run
// and podinit must exit with the app's code, every time.
func TestQuickAppWithPoststartAndPoststop(t *testing.T) {
	for i := 0; i < 20; i++ {
		code, out, _ := runToEnd(t, asPID1, "--poststart", "exec true", "--poststop", "exec echo cleaned", "--", "true")
		if code != 0 || !strings.Contains(out, "poststop 1/1 | cleaned") || !strings.Contains(out, "podinit poststop ok in") {
			t.Fatalf("run %d: exit %d, want 0 with poststop done; output:\n%s", i, code, out)
		}
	}
}
