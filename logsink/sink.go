package logsink

import (
	encjson "encoding/json"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Default bounds: room for a burst of verbose lines (a forwarded signal or a
// reaped orphan each makes one) without holding more than a few pages.
const (
	DefaultLines = 512
	DefaultBytes = 64 << 10
)

// entry is one queued line and where it goes.
type entry struct {
	fd   int
	line string // ends in a newline
}

// Sink queues lines for its writer. Its methods may be called from any
// goroutine; Write never blocks on I/O.
type Sink struct {
	maxLines, maxBytes int

	// dropped words the notice written to noticeFD after lines were lost;
	// it gets the count and returns the line without its newline. It runs
	// on the writer goroutine, never on the caller of Write.
	dropped  func(n int) string
	noticeFD int

	mu      sync.Mutex
	queue   []entry // len <= maxLines; its bytes <= maxBytes
	bytes   int
	lost    int  // lines dropped since the writer last reported
	closing bool // Close was called: the writer ends once the queue is empty
	wake    chan struct{}
	done    chan struct{} // closed when the writer has ended
}

// New starts a sink that holds at most maxLines lines and maxBytes bytes
// waiting to be written; dropped words the notice of lost lines, which goes
// to noticeFD.
func New(maxLines, maxBytes, noticeFD int, dropped func(n int) string) *Sink {
	s := &Sink{
		maxLines: maxLines,
		maxBytes: maxBytes,
		dropped:  dropped,
		noticeFD: noticeFD,
		queue:    make([]entry, 0, maxLines),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	go s.run()
	return s
}

// Write queues line (without its newline) for fd and reports whether it was
// taken: a line that does not fit in the queue, or comes after Close, is
// dropped and counted.
func (s *Sink) Write(fd int, line string) bool {
	size := len(line) + 1
	s.mu.Lock()
	if s.closing || len(s.queue) >= s.maxLines || s.bytes+size > s.maxBytes {
		s.lost++
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, entry{fd: fd, line: line + "\n"})
	s.bytes += size
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the writer is already due to look
	}
	return true
}

// Lost is the number of lines dropped and not yet reported.
func (s *Sink) Lost() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// Close stops taking lines and waits at most timeout for the writer to write
// those already queued. It reports whether everything queued was written. A
// stalled descriptor must not hold up podinit's exit, so after timeout the
// lines still queued are abandoned.
func (s *Sink) Close(timeout time.Duration) bool {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		return false
	}
}

// run is the writer: it takes the whole queue at once, writes it, then
// reports the lines lost meanwhile, so the notice comes where they were.
func (s *Sink) run() {
	defer close(s.done)
	// Two buffers, swapped: the queue fills one while the writer writes
	// the other, and neither grows past maxLines.
	batch := make([]entry, 0, s.maxLines)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && s.lost == 0 && !s.closing {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		batch, s.queue = s.queue, batch[:0]
		s.bytes = 0
		lost := s.lost
		s.lost = 0
		closing := s.closing
		s.mu.Unlock()

		for i := range batch {
			_, _ = WriteFull(batch[i].fd, []byte(batch[i].line))
			batch[i] = entry{} // let the line go
		}
		if lost > 0 && s.dropped != nil {
			_, _ = WriteFull(s.noticeFD, []byte(s.dropped(lost)+"\n"))
		}
		if closing && len(batch) == 0 && lost == 0 {
			return
		}
	}
}

// WriteFull writes all of b to fd, waiting in poll(2) whenever fd is
// non-blocking and full, and returns how much it wrote and the error that
// stopped it. The sink's writer ignores the error: a closed or broken
// descriptor loses the line, and the log is not podinit's reason to live.
func WriteFull(fd int, b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := unix.Write(fd, b[written:])
		switch err {
		case nil:
			written += n
		case unix.EINTR:
		case unix.EAGAIN:
			waitWritable(fd)
		default:
			return written, err
		}
	}
	return written, nil
}

// waitWritable sleeps until fd can take more bytes or has failed; poll
// reports POLLERR or POLLHUP in revents without being asked, and the write
// that follows then returns the error.
func waitWritable(fd int) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		_, err := unix.Poll(fds, -1)
		if err != unix.EINTR {
			return
		}
	}
}

// Line is the one formatter of podinit's lines, its own and its phases'
// alike. As text: a UTC timestamp to the millisecond, "podinit", then text.
// As JSON: one object holding fields, the time in RFC 3339 with nanoseconds
// and "podinit": subject (the phase, or "supervisor"), so that a log
// pipeline that parses one line parses them all.
func Line(json bool, t time.Time, subject, text string, fields map[string]any) string {
	t = t.UTC()
	if !json {
		return t.Format("2006-01-02T15:04:05.000Z") + " podinit " + text
	}
	obj := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		obj[k] = v
	}
	obj["time"] = t.Format(time.RFC3339Nano)
	obj["podinit"] = subject
	b, err := encjson.Marshal(obj)
	if err != nil {
		// Only a value JSON cannot hold gets here; the line still parses.
		b, _ = encjson.Marshal(map[string]any{"time": obj["time"], "podinit": subject, "text": text})
	}
	return string(b)
}
