package hooks

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A phase's steps make HTTP calls, wait on sockets, run commands and read
// their output: work that can hang, flood or crash. PID 1 must do none of
// it, so a ProcessRunner runs each phase in a child process (podinit
// re-executed), which PID 1 reaps like any other child, bounds by the
// phase's budget and kills when it outlives it. A panic, a Go fatal error, a
// hung TLS handshake or a flood of output then ends the phase, reported, and
// never PID 1.
//
// The two talk over a socket pair, the child's file descriptor 3, one
// message a line, each a letter and its text:
//
//	PID 1 to child:  J job (JSON, first)   C cut short   X the app exited
//	                 s whom it signalled   e why it could not
//	child to PID 1:  L progress line   O output line   T n: step n started
//	                 S signal number: signal the app   R result (JSON, last)
//
// Lines are cut at maxMessage on both sides, so neither end can make the
// other hold more than that.

// maxMessage bounds one message, its letter and newline included.
const maxMessage = 16 << 10

// phaseFD is the child's end of the socket pair.
const phaseFD = 3

// ProcessRunner runs each phase in a child process of its own.
type ProcessRunner struct {
	// Command returns the command that runs a phase process: podinit
	// re-executed so that it calls RunPhaseProcess.
	Command func(phase Phase) *exec.Cmd
	// Starter starts it; PID 1's reaps it with every other child.
	Starter Starter
	// Target is the application, for signal and wait-exit steps; nil
	// before it has started.
	Target Target
	Format Format
}

// killMargin is how long a phase process has, past its deadline or after
// being cut short, to report and exit before PID 1 kills it.
const killMargin = time.Second

// processJob is the job as it travels to the phase process.
type processJob struct {
	Phase     Phase    `json:"phase"`
	Steps     []string `json:"steps"`
	Budget    int64    `json:"budget_ns"`
	Started   int64    `json:"started_unix_ns"`
	Format    Format   `json:"format"`
	HasTarget bool     `json:"has_target"`
}

// processResult is a phase's result as it travels back to PID 1.
type processResult struct {
	OK   bool   `json:"ok"`
	Step int    `json:"step,omitempty"`
	Text string `json:"text,omitempty"`
	Cut  bool   `json:"cut,omitempty"`
	Err  string `json:"err,omitempty"`
}

// RunSteps runs job in a phase process and relays its lines to emit.
func (p *ProcessRunner) RunSteps(ctx context.Context, job Job, emit func(line string, output bool)) error {
	if len(job.Steps) == 0 {
		return nil // a phase nobody configured leaves no trace, as in-process
	}
	pr := &phaseProcess{runner: p, job: job, emit: emit, began: time.Now()}
	return pr.run(ctx)
}

// phaseProcess is PID 1's side of one phase process.
type phaseProcess struct {
	runner *ProcessRunner
	job    Job
	emit   func(line string, output bool)

	mu     sync.Mutex
	conn   net.Conn
	step   int // the step running, from T messages
	began  time.Time
	result *processResult
	killed string // why PID 1 killed the process, if it did
}

func (pp *phaseProcess) run(ctx context.Context) error {
	conn, child, err := socketPair()
	if err != nil {
		return pp.fail(0, fmt.Errorf("cannot start the phase process: %w", err))
	}
	defer conn.Close()
	pp.conn = conn
	stderr, stderrW, err := os.Pipe()
	if err != nil {
		child.Close()
		return pp.fail(0, fmt.Errorf("cannot start the phase process: %w", err))
	}
	cmd := pp.runner.Command(pp.job.Phase)
	cmd.ExtraFiles = []*os.File{child} // becomes phaseFD
	cmd.Stderr = stderrW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	starter := pp.runner.Starter
	if starter == nil {
		starter = PlainStarter{}
	}
	wait, err := starter.Start(cmd)
	child.Close()
	stderrW.Close()
	if err != nil {
		stderr.Close()
		return pp.fail(0, fmt.Errorf("cannot start the phase process: %w", err))
	}
	pid := cmd.Process.Pid
	crash := make(chan string, 1)
	go func() { crash <- firstLine(stderr) }()

	if err := pp.send('J', pp.encodeJob()); err != nil {
		_ = unix.Kill(-pid, unix.SIGKILL)
	}
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		pp.relay()
	}()
	ended := make(chan struct{})
	go pp.watch(ctx, pid, ended)

	ws := wait()
	close(ended)
	// The child was the only holder of its end of the socket (it marks it
	// close-on-exec before running anything), so its exit ends the relay.
	<-relayed
	why := <-crash
	return pp.outcome(ws, why)
}

// watch tells the phase process when it is cut short or the app exits, and
// kills it when it outlives its deadline or its cutting short.
func (pp *phaseProcess) watch(ctx context.Context, pid int, ended <-chan struct{}) {
	var deadline <-chan time.Time
	if pp.job.Budget > 0 {
		t := time.NewTimer(time.Until(pp.job.Started.Add(pp.job.Budget + killMargin)))
		defer t.Stop()
		deadline = t.C
	}
	var exited <-chan struct{}
	if pp.runner.Target != nil {
		exited = pp.runner.Target.Exited()
	}
	done := ctx.Done()
	var afterCut <-chan time.Time
	for {
		select {
		case <-ended:
			return
		case <-exited:
			exited = nil
			_ = pp.send('X', "")
		case <-done:
			done = nil
			_ = pp.send('C', "")
			t := time.NewTimer(killMargin)
			defer t.Stop()
			afterCut = t.C
		case <-afterCut:
			pp.kill(pid, fmt.Sprintf("still running %s after it was cut short", killMargin))
			return
		case <-deadline:
			pp.kill(pid, fmt.Sprintf("still running %s past its budget of %s", killMargin, round(pp.job.Budget)))
			return
		}
	}
}

func (pp *phaseProcess) kill(pid int, why string) {
	pp.mu.Lock()
	pp.killed = why
	pp.mu.Unlock()
	_ = unix.Kill(-pid, unix.SIGKILL)
}

// relay reads the phase process's messages until it exits.
func (pp *phaseProcess) relay() {
	r := bufio.NewReaderSize(pp.conn, 4096)
	for {
		kind, text, err := readMessage(r)
		if err != nil {
			return
		}
		switch kind {
		case 'L':
			pp.emit(text, false)
		case 'O':
			pp.emit(text, true)
		case 'T':
			if n, err := strconv.Atoi(text); err == nil {
				pp.mu.Lock()
				pp.step, pp.began = n, time.Now()
				pp.mu.Unlock()
			}
		case 'S':
			pp.signal(text)
		case 'R':
			var res processResult
			if json.Unmarshal([]byte(text), &res) == nil {
				pp.mu.Lock()
				pp.result = &res
				pp.mu.Unlock()
			}
		}
	}
}

// signal serves a signal step: PID 1's supervisor signals the app, so the
// phase process never needs to know, or guess, its process group.
func (pp *phaseProcess) signal(text string) {
	n, err := strconv.Atoi(text)
	target := pp.runner.Target
	switch {
	case err != nil || n <= 0 || n > 64:
		_ = pp.send('e', fmt.Sprintf("signal %q: expected a signal number", text))
	case target == nil:
		_ = pp.send('e', "no application to signal")
	default:
		whom, err := target.Signal(unix.Signal(n))
		if err != nil {
			_ = pp.send('e', err.Error())
			return
		}
		_ = pp.send('s', whom)
	}
}

func (pp *phaseProcess) send(kind byte, text string) error {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	// A phase process that stops reading cannot hold PID 1's goroutine.
	// The deadline is cleared once written: a deadline left set is a
	// runtime timer that would wake PID 1 a second later for nothing.
	_ = pp.conn.SetWriteDeadline(time.Now().Add(killMargin))
	_, err := pp.conn.Write(encodeMessage(kind, text))
	_ = pp.conn.SetWriteDeadline(time.Time{})
	return err
}

func (pp *phaseProcess) encodeJob() string {
	j := processJob{Phase: pp.job.Phase, Budget: int64(pp.job.Budget), Started: pp.job.Started.UnixNano(),
		Format: pp.runner.Format, HasTarget: pp.runner.Target != nil}
	for _, s := range pp.job.Steps {
		j.Steps = append(j.Steps, s.Text)
	}
	b, _ := json.Marshal(j)
	return string(b)
}

// outcome turns how the phase process ended into the phase's result. One
// that died without reporting (a panic, a fatal error, killed) gets its
// phase's closing lines written here, so the log still says how it ended.
func (pp *phaseProcess) outcome(ws unix.WaitStatus, crash string) error {
	pp.mu.Lock()
	res, step, killed := pp.result, pp.step, pp.killed
	pp.mu.Unlock()
	// A process that reported its result and was killed only because it
	// did not exit afterwards still ran its phase to the end.
	if res != nil {
		if res.OK {
			return nil
		}
		return &PhaseError{Phase: pp.job.Phase, Step: res.Step, Text: res.Text, Cut: res.Cut, Err: errors.New(res.Err)}
	}
	var why string
	switch {
	case killed != "":
		why = "the phase process was " + killed + ": killed"
	case crash != "":
		why = fmt.Sprintf("the phase process crashed (%s): %s", describeWait(ws), crash)
	default:
		why = fmt.Sprintf("the phase process ended without a result (%s)", describeWait(ws))
	}
	return pp.fail(step, errors.New(why))
}

// fail reports a phase that could not run to its end, as its own closing
// lines would have, and returns its error.
func (pp *phaseProcess) fail(step int, err error) error {
	total := len(pp.job.Steps)
	now := time.Now()
	left := time.Duration(-1)
	if pp.job.Budget > 0 {
		left = max(pp.job.Started.Add(pp.job.Budget).Sub(now), 0)
	}
	pe := &PhaseError{Phase: pp.job.Phase, Step: max(step, 1), Err: err}
	pe.Text = pp.job.Steps[pe.Step-1].Redacted()
	if step > 0 {
		pp.emit(event{time: now, phase: pp.job.Phase, step: step, steps: total, kind: "failed",
			took: now.Sub(pp.began), left: left, detail: err.Error()}.format(pp.runner.Format), false)
	}
	pp.emit(event{time: now, phase: pp.job.Phase, kind: "failed", took: now.Sub(pp.job.Started), left: left,
		detail: fmt.Sprintf("step %d: %v", pe.Step, err)}.format(pp.runner.Format), false)
	return pe
}

func describeWait(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by signal " + strconv.Itoa(int(ws.Signal()))
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// firstLine reads r to its end and returns its first line that says what
// went wrong ("panic: ...", "fatal error: ..."), keeping nothing else.
func firstLine(f *os.File) string {
	defer f.Close()
	r := bufio.NewReaderSize(f, 4096)
	first := ""
	for {
		line, err := r.ReadSlice('\n')
		if first == "" {
			if s := strings.TrimSpace(string(line)); s != "" {
				first = cut(s, 512)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return first
		}
	}
}

// socketPair returns PID 1's end as a net.Conn, whose reads and writes wait
// in the runtime's poller rather than holding a thread, and the child's end.
func socketPair() (net.Conn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "phase")
	conn, err := net.FileConn(parent)
	parent.Close()
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	return conn, os.NewFile(uintptr(fds[1]), "phase-child"), nil
}

func encodeMessage(kind byte, text string) []byte {
	text = cut(strings.ReplaceAll(text, "\n", " "), maxMessage-2)
	b := make([]byte, 0, len(text)+2)
	return append(append(append(b, kind), text...), '\n')
}

// readMessage reads one message; a longer one than maxMessage is cut.
func readMessage(r *bufio.Reader) (byte, string, error) {
	var msg []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(msg) < maxMessage {
			msg = append(msg, chunk[:min(len(chunk), maxMessage-len(msg))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return 0, "", err
		}
		break
	}
	msg = []byte(strings.TrimSuffix(string(msg), "\n"))
	if len(msg) == 0 {
		return 0, "", nil
	}
	return msg[0], string(msg[1:]), nil
}

// cut shortens s to at most n bytes, not splitting a UTF-8 character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// RunPhaseProcess is the phase process: it reads its job from PID 1, runs
// it, and reports every line and the result back. It returns the process's
// exit code.
func RunPhaseProcess() int {
	// Commands the steps start must not inherit the socket: PID 1 learns
	// that this process has ended from the socket's closing.
	if _, err := unix.FcntlInt(phaseFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		fmt.Fprintf(os.Stderr, "podinit phase process: file descriptor %d: %v\n", phaseFD, err)
		return 2
	}
	f := os.NewFile(phaseFD, "phase")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "podinit phase process: file descriptor %d is not podinit's: %v\n", phaseFD, err)
		return 2
	}
	defer conn.Close()
	link := &childLink{conn: conn, replies: make(chan reply, 1), exited: make(chan struct{})}
	r := bufio.NewReaderSize(conn, 4096)
	kind, text, err := readMessage(r)
	var job processJob
	if err == nil && kind == 'J' {
		err = json.Unmarshal([]byte(text), &job)
	} else if err == nil {
		err = fmt.Errorf("message %q: expected the job", kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "podinit phase process: %v\n", err)
		return 2
	}
	steps := make([]Step, 0, len(job.Steps))
	for _, text := range job.Steps {
		s, err := ParseStep(text)
		if err != nil {
			link.result(&PhaseError{Phase: job.Phase, Step: len(steps) + 1, Text: redactText(text), Err: err})
			return 1
		}
		steps = append(steps, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go link.read(r, cancel)
	runner := &Runner{Starter: PlainStarter{}, Format: job.Format,
		Emit:        func(line string) { link.send('L', line) },
		Output:      func(line string) { link.send('O', line) },
		StepStarted: func(n int) { link.send('T', strconv.Itoa(n)); injectFault(job.Phase) },
	}
	if job.HasTarget {
		runner.Target = link
	}
	err = runner.RunPhase(ctx, job.Phase, steps, time.Duration(job.Budget), time.Unix(0, job.Started))
	link.result(err)
	return 0
}

// childLink is the phase process's side of the socket pair; it is also the
// Target of its signal and wait-exit steps.
type childLink struct {
	conn    net.Conn
	mu      sync.Mutex
	replies chan reply
	exited  chan struct{}
	once    sync.Once
}

type reply struct {
	text string
	err  error
}

func (c *childLink) send(kind byte, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = c.conn.Write(encodeMessage(kind, text))
}

func (c *childLink) result(err error) {
	res := processResult{OK: err == nil}
	var pe *PhaseError
	if errors.As(err, &pe) {
		res.Step, res.Text, res.Cut = pe.Step, pe.Text, pe.Cut
		if pe.Err != nil {
			res.Err = pe.Err.Error()
		}
	} else if err != nil {
		res.Err = err.Error()
	}
	b, _ := json.Marshal(res)
	c.send('R', string(b))
}

// read takes PID 1's messages until the socket closes; PID 1 gone means
// nobody waits for this phase any more, so it is cut short.
func (c *childLink) read(r *bufio.Reader, cancel context.CancelFunc) {
	defer cancel()
	for {
		kind, text, err := readMessage(r)
		if err != nil {
			return
		}
		switch kind {
		case 'C':
			cancel()
		case 'X':
			c.once.Do(func() { close(c.exited) })
		case 's':
			c.replies <- reply{text: text}
		case 'e':
			c.replies <- reply{err: errors.New(text)}
		}
	}
}

// Signal asks PID 1 to signal the app, as its supervisor does.
func (c *childLink) Signal(sig unix.Signal) (string, error) {
	c.send('S', strconv.Itoa(int(sig)))
	select {
	case r := <-c.replies:
		return r.text, r.err
	case <-time.After(killMargin):
		return "", errors.New("PID 1 did not answer")
	}
}

// Exited is closed when PID 1 reports that the app has exited.
func (c *childLink) Exited() <-chan struct{} { return c.exited }

// injectFault lets the tests make a phase process fail as real faults would:
// PODINIT_TEST_FAULT=PHASE:panic, PHASE:fatal (a Go fatal error, which no
// recover catches) or PHASE:hang (a step that ignores its deadline, as a
// hung TLS handshake can).
func injectFault(phase Phase) {
	p, fault, ok := strings.Cut(os.Getenv("PODINIT_TEST_FAULT"), ":")
	if !ok || Phase(p) != phase {
		return
	}
	switch fault {
	case "panic":
		panic("PODINIT_TEST_FAULT: a panic inside the " + string(phase) + " phase")
	case "fatal":
		var mu sync.Mutex
		mu.Unlock() // "fatal error: sync: unlock of unlocked mutex"
	case "hang":
		for {
			time.Sleep(time.Hour)
		}
	}
}
