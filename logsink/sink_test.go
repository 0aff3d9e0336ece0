package logsink

import (
	"bufio"
	encjson "encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pipe returns a pipe whose read end the test holds and whose write end the
// sink writes to.
func pipe(t *testing.T) (r *os.File, w int) {
	t.Helper()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r = os.NewFile(uintptr(fds[0]), "pipe")
	t.Cleanup(func() { r.Close(); unix.Close(fds[1]) })
	return r, fds[1]
}

// fill writes to fd through a non-blocking file description of its own
// until the pipe is full, leaving fd's own flags as they were.
func fill(t *testing.T, fd int) {
	t.Helper()
	nb, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(nb)
	for _, size := range []int{4096, 1} {
		b := make([]byte, size)
		for {
			if _, err := unix.Write(nb, b); err == unix.EAGAIN {
				break
			} else if err != nil && err != unix.EINTR {
				t.Fatal(err)
			}
		}
	}
}

func notice(n int) string { return fmt.Sprintf("%d log lines dropped", n) }

func TestLinesArriveInOrder(t *testing.T) {
	r, w := pipe(t)
	s := New(16, 4096, w, notice)
	lines := bufio.NewScanner(r)
	for i := 0; i < 1000; i++ {
		// One at a time, each read before the next: none is dropped.
		if !s.Write(w, "line "+strconv.Itoa(i)) {
			t.Fatalf("line %d dropped with an empty queue", i)
		}
		if !lines.Scan() || lines.Text() != "line "+strconv.Itoa(i) {
			t.Fatalf("read %q, want line %d", lines.Text(), i)
		}
	}
	if !s.Close(time.Minute) {
		t.Fatal("Close: the queue was not written")
	}
}

// stalled writes n lines to a sink writing to a full pipe, then drains the
// pipe and returns how many lines the sink took and every line it wrote.
func stalled(t *testing.T, nonblocking bool, maxLines, maxBytes, n int, line string) (taken []string, dropped int, out []string) {
	t.Helper()
	r, w := pipe(t)
	if nonblocking {
		if err := unix.SetNonblock(w, true); err != nil {
			t.Fatal(err)
		}
	}
	fill(t, w)
	s := New(maxLines, maxBytes, w, notice)
	for i := 0; i < n; i++ {
		if l := fmt.Sprintf("%s %d", line, i); s.Write(w, l) {
			taken = append(taken, l)
		} else {
			dropped++
		}
	}
	closed := make(chan bool)
	go func() { closed <- s.Close(time.Minute) }()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		text := strings.TrimLeft(sc.Text(), "\x00") // the filling
		if text == "" {
			continue
		}
		out = append(out, text)
		if strings.HasSuffix(text, "log lines dropped") && s.Lost() == 0 && len(out) == len(taken)+countNotices(out) {
			break
		}
	}
	if !<-closed {
		t.Fatal("Close: the queue was not written once the pipe drained")
	}
	return taken, dropped, out
}

func countNotices(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.HasSuffix(l, "log lines dropped") {
			n++
		}
	}
	return n
}

// checkStalled checks what a reader sees: the lines taken, in order, and
// notices that add up to the lines dropped.
func checkStalled(t *testing.T, taken []string, dropped int, out []string) {
	t.Helper()
	next, noticed := 0, 0
	for _, l := range out {
		if n, ok := strings.CutSuffix(l, " log lines dropped"); ok {
			k, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("notice %q", l)
			}
			noticed += k
			continue
		}
		if next >= len(taken) {
			t.Fatalf("line %q, more than the %d taken", l, len(taken))
		}
		if want := taken[next]; l != want {
			t.Fatalf("line %q, want %q (lines out of order or lost after being taken)", l, want)
		}
		next++
	}
	if next != len(taken) {
		t.Errorf("%d lines written, %d taken", next, len(taken))
	}
	if noticed != dropped {
		t.Errorf("notices count %d dropped lines, %d were", noticed, dropped)
	}
}

func TestFullPipeDropsAndCounts(t *testing.T) {
	const maxLines = 8
	taken, dropped, out := stalled(t, false, maxLines, 1<<20, 10000, "line")
	// The writer holds one batch, the queue another: no more is kept.
	if len(taken) > 2*maxLines {
		t.Errorf("%d lines taken while the pipe was full, want at most %d", len(taken), 2*maxLines)
	}
	if dropped < 10000-2*maxLines {
		t.Errorf("%d lines dropped, want at least %d", dropped, 10000-2*maxLines)
	}
	checkStalled(t, taken, dropped, out)
}

func TestQueueBoundedInBytes(t *testing.T) {
	const maxBytes = 4096
	long := strings.Repeat("x", 500)
	taken, dropped, out := stalled(t, false, 1000, maxBytes, 1000, long)
	// Each line with its number and newline is over 500 bytes.
	if max := 2 * maxBytes / 500; len(taken) > max {
		t.Errorf("%d lines of 500 bytes taken, want at most %d", len(taken), max)
	}
	checkStalled(t, taken, dropped, out)
}

func TestNonblockingFullPipe(t *testing.T) {
	taken, dropped, out := stalled(t, true, 8, 1<<20, 1000, "line")
	checkStalled(t, taken, dropped, out)
}

func TestCloseGivesUpOnAStalledPipe(t *testing.T) {
	_, w := pipe(t)
	fill(t, w)
	s := New(8, 4096, w, notice)
	s.Write(w, "never read")
	if s.Close(10 * time.Millisecond) {
		t.Fatal("Close reported the queue written to a full pipe nobody reads")
	}
	if s.Write(w, "after close") {
		t.Fatal("a line was taken after Close")
	}
}

func TestLineTextAndJSON(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 41e6, time.FixedZone("CET", 3600))
	if got, want := Line(false, at, "prestop", "prestop 1/2 ok in 41ms", nil),
		"2026-11-21T09:00:00.041Z podinit prestop 1/2 ok in 41ms"; got != want {
		t.Errorf("text line %q, want %q", got, want)
	}
	got := Line(true, at, "supervisor", "ignored", map[string]any{"level": "info", "text": `a "quoted" line`})
	var v map[string]any
	if err := encjson.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("JSON line %q: %v", got, err)
	}
	for k, want := range map[string]any{"time": "2026-11-21T09:00:00.041Z", "podinit": "supervisor", "level": "info", "text": `a "quoted" line`} {
		if v[k] != want {
			t.Errorf("JSON line %s: %s = %v, want %v", got, k, v[k], want)
		}
	}
}
