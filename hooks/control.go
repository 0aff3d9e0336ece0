package hooks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The control socket joins `podinit hook PHASE` to PID 1. It lives in the
// abstract namespace, so a read-only root file system is no obstacle, under a
// name made of the container's PID and mount namespaces (see container.go).
// Every process of the pod's network namespace can connect to it, and any of
// them could bind the name first, so each end checks the other before it
// reads or writes a byte: PID 1 serves only hooks of its own container run by
// its own user or root; a hook talks only to a listener of its own
// container.
//
// A request is one line, "PHASE", of at most maxRequest bytes, sent within
// requestTimeout. The answer is the phase's progress lines, each prefixed
// "L ", then one line "R ok" or "R REASON".

// Listen opens the control socket.
func Listen() (net.Listener, error) {
	self, err := containerOf("self")
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln, err := net.Listen("unix", self.address())
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("control socket %s: another process of this pod's network namespace holds the name", self.address())
		}
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// Server answers hook requests on the control socket.
type Server struct {
	// Log, when set, receives what the server has to say about its
	// socket: at the default level (debug false) or at debug level only.
	Log func(debug bool, msg string)

	mu        sync.Mutex
	waiting   []net.Conn    // accepted, request not read yet; oldest first
	answering int           // hooks being answered
	idle      chan struct{} // closed when answering drops to 0, for Drain
}

// Bounds on what a peer can make PID 1 hold. At most maxWaiting connections
// wait for their request, each for at most requestTimeout: a new one closes
// the oldest, so idle connections, however many, never lock a real hook out
// (a hook sends its request as soon as it has checked the server). At most
// maxAnswering hooks are answered at once; the request is at most
// maxRequest bytes.
const (
	maxWaiting     = 32
	maxAnswering   = 64
	maxRequest     = 4 << 10
	requestTimeout = 5 * time.Second
	// writeTimeout bounds each write to a hook that stopped reading.
	writeTimeout = 10 * time.Second
)

// Accept errors (EMFILE, ENFILE, ENOBUFS) last until something is freed;
// retrying at once would spin. The wait doubles from the first to the
// last, as net/http's server does.
const (
	firstAcceptRetry = 5 * time.Millisecond
	lastAcceptRetry  = time.Second
)

// Serve answers hook requests on ln until it is closed. trigger starts or
// joins a phase for a hook; it lets PID 1 decide what a hook may start.
func (s *Server) Serve(ln net.Listener, trigger func(Phase) (*Run, error)) {
	self, err := containerOf("self")
	if err != nil {
		s.log(false, fmt.Sprintf("control socket: %v: refusing every hook", err))
	}
	retry := time.Duration(0)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if retry == 0 {
				retry = firstAcceptRetry
				s.log(false, fmt.Sprintf("control socket: %v: retrying, at most every %s", err, lastAcceptRetry))
			} else {
				retry = min(2*retry, lastAcceptRetry)
			}
			s.log(true, fmt.Sprintf("control socket: %v: next try in %s", err, retry))
			time.Sleep(retry)
			continue
		}
		if retry != 0 {
			s.log(true, "control socket: accepting again")
			retry = 0
		}
		s.wait(conn)
		go s.serveConn(conn.(*net.UnixConn), self, trigger)
	}
}

// wait records conn as waiting for its request, closing the oldest waiting
// connection when there are maxWaiting already.
func (s *Server) wait(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiting) >= maxWaiting {
		s.waiting[0].Close()
		s.waiting = s.waiting[1:]
	}
	s.waiting = append(s.waiting, conn)
}

// arrived ends conn's wait; it reports whether conn may be answered, and
// counts it among those being answered if so.
func (s *Server) arrived(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.waiting {
		if c == conn {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			break
		}
	}
	if s.answering >= maxAnswering {
		return false
	}
	s.answering++
	return true
}

func (s *Server) log(debug bool, msg string) {
	if s.Log != nil {
		s.Log(debug, msg)
	}
}

func (s *Server) answered() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answering--; s.answering == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// Drain waits, at most AnswerTimeout, until every hook being answered has
// had its answer and exited. PID 1 calls it before it exits: its exit would otherwise cut the
// answer off, and kubelet would record a hook whose phase succeeded as
// failed. A hook still waiting for a phase that never ran is given up on.
func (s *Server) Drain() {
	s.mu.Lock()
	if s.answering == 0 {
		s.mu.Unlock()
		return
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
	case <-time.After(AnswerTimeout):
	}
}

func (s *Server) serveConn(conn *net.UnixConn, self container, trigger func(Phase) (*Run, error)) {
	defer conn.Close()
	w := bufio.NewWriterSize(deadlineWriter{conn}, 512)
	// refuse answers a caller that gets no phase, and hangs up at once:
	// what it sent, or goes on sending, is never read.
	refuse := func(reason string) {
		fmt.Fprintf(w, "R %s\n", reason)
		w.Flush()
	}
	phase, err := s.request(conn, self)
	if !s.arrived(conn) {
		refuse(fmt.Sprintf("busy: podinit is answering %d hooks already", maxAnswering))
		return
	}
	defer s.answered()
	if err != nil {
		refuse(err.Error())
		return
	}
	answer := func(result string) {
		fmt.Fprintf(w, "R %s\n", result)
		w.Flush()
		// The hook closes its end when it exits, having reported the
		// answer. Until then PID 1, which may be about to exit, holds on
		// (see Drain): its exit would kill the hook first.
		conn.SetReadDeadline(time.Now().Add(AnswerTimeout))
		io.Copy(io.Discard, conn)
	}
	run, err := trigger(phase)
	if err != nil {
		answer(err.Error())
		return
	}
	// The hook may go away (kubelet gives up at the grace period); the phase
	// goes on regardless, and a write error ends only the following.
	err = run.Follow(context.Background(), func(l string) error {
		if _, err := fmt.Fprintf(w, "L %s\n", l); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		answer(err.Error())
		return
	}
	answer("ok")
}

// request checks the caller and reads its request. Who is calling is known
// before anything is read: a peer of another container gets its refusal
// having made PID 1 read nothing.
func (s *Server) request(conn *net.UnixConn, self container) (Phase, error) {
	if self == (container{}) {
		return "", errors.New("refused: podinit cannot read its own namespaces")
	}
	if err := checkCaller(conn, self); err != nil {
		s.log(true, "control socket: "+err.Error())
		return "", err
	}
	conn.SetReadDeadline(time.Now().Add(requestTimeout))
	line, err := readRequest(conn)
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return "", err
	}
	return ParsePhase(line)
}

// readRequest reads the request line, at most maxRequest bytes of it.
func readRequest(conn net.Conn) (string, error) {
	r := bufio.NewReaderSize(io.LimitReader(conn, maxRequest), 128)
	line, err := r.ReadString('\n')
	switch {
	case err == nil:
		return strings.TrimSpace(line), nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "", fmt.Errorf("no request within %s: expected a phase, poststart or prestop", requestTimeout)
	case err == io.EOF && len(line) >= maxRequest:
		return "", fmt.Errorf("request longer than %d bytes: expected a phase, poststart or prestop", maxRequest)
	default:
		return "", fmt.Errorf("request cut off (%v): expected a phase, poststart or prestop, and a newline", err)
	}
}

// deadlineWriter bounds each write, so a hook that stopped reading holds
// its connection for at most writeTimeout; the deadline is cleared once
// written, so an idle connection sets no timer off.
type deadlineWriter struct{ conn net.Conn }

func (d deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	n, err := d.conn.Write(p)
	d.conn.SetWriteDeadline(time.Time{})
	return n, err
}

// AnswerTimeout bounds the end of one handshake: how long a hook has, once
// its answer is written, to take it and exit, and so how long PID 1 holds its
// next move (signalling leftovers, stopping the app after a failed
// poststart, its own exit) for the hooks it is answering. A hook that waits
// for a phase that never ran, or stopped reading, holds nothing up longer.
const AnswerTimeout = time.Second

// ErrNoPodinit says no podinit of this container listens on the control
// socket.
var ErrNoPodinit = errors.New("no podinit listens on this container's control socket")

// Join asks this container's podinit to start or join phase, copies the
// progress lines to out as they come, and returns the phase's result: nil
// when it succeeded. It sends nothing before it has made sure the socket's
// listener is a process of its own container.
func Join(phase Phase, out io.Writer) error {
	self, err := containerOf("self")
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	addr := self.address()
	conn, err := net.Dial("unix", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("%w: nothing listens on %s", ErrNoPodinit, addr)
		}
		return fmt.Errorf("control socket %s: %w", addr, err)
	}
	uc := conn.(*net.UnixConn)
	if err := checkServer(uc, self); err != nil {
		conn.Close()
		return fmt.Errorf("control socket %s: %w", addr, err)
	}
	// A refusal may close the socket before the request is written: the
	// answer that says why is read all the same.
	fmt.Fprintf(conn, "%s\n", phase)
	// The lines PID 1 relays are bounded, but one this hook cannot hold is
	// cut rather than taken for the end of the answer.
	r := bufio.NewReaderSize(conn, 4096)
	for {
		line, err := readLine(r, maxMessage)
		if err != nil {
			break
		}
		kind, text, _ := strings.Cut(line, " ")
		switch kind {
		case "L":
			fmt.Fprintln(out, text)
		case "R":
			// The connection stays open until this process exits. PID 1
			// may be about to exit too (the app exited during prestop),
			// and it waits for this end to close: its exit would kill
			// this process before it could report the answer.
			if text == "ok" {
				return nil
			}
			return errors.New(text)
		}
	}
	conn.Close()
	return fmt.Errorf("control socket: podinit closed the connection before %s ended", phase)
}

// readLine reads one line, without its newline, keeping at most limit bytes of
// it: the rest of a longer line is read and dropped.
func readLine(r *bufio.Reader, limit int) (string, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line) < limit {
			line = append(line, chunk[:min(len(chunk), limit-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(string(line), "\n"), nil
	}
}
