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

	"golang.org/x/sys/unix"
)

// The control socket joins `podinit hook PHASE` to PID 1. It lives in the
// abstract namespace, so a read-only root file system is no obstacle, and is
// named after the PID namespace: containers of one pod share a network
// namespace, hence abstract sockets, but each has its own PID namespace.
// PID 1 serves only peers that the kernel reports with a pid, which it does
// only for processes of the same PID namespace, and with PID 1's own user or
// root.
//
// A request is one line, "PHASE". The answer is the phase's progress lines,
// each prefixed "L ", then one line "R ok" or "R REASON".

// SocketAddress is the control socket's address for this PID namespace.
func SocketAddress() (string, error) {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "", fmt.Errorf("control socket: %w", err)
	}
	inode := strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
	return "@podinit-" + inode, nil
}

// Listen opens the control socket.
func Listen() (net.Listener, error) {
	addr, err := SocketAddress()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// Server answers hook requests on the control socket.
type Server struct {
	mu        sync.Mutex
	answering int           // hooks being answered
	idle      chan struct{} // closed when answering drops to 0, for Drain
}

// Serve answers hook requests on ln until it is closed. trigger starts or
// joins a phase for a hook; it lets PID 1 decide what a hook may start.
func (s *Server) Serve(ln net.Listener, trigger func(Phase) (*Run, error)) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.mu.Lock()
		s.answering++
		s.mu.Unlock()
		go func() {
			defer s.answered()
			serveConn(conn.(*net.UnixConn), trigger)
		}()
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

// Drain waits, at most timeout, until every hook being answered has had its
// answer. PID 1 calls it before it exits: its exit would otherwise cut the
// answer off, and kubelet would record a hook whose phase succeeded as
// failed. A hook still waiting for a phase that never ran is given up on.
func (s *Server) Drain(timeout time.Duration) {
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
	case <-time.After(timeout):
	}
}

func serveConn(conn *net.UnixConn, trigger func(Phase) (*Run, error)) {
	defer conn.Close()
	w := bufio.NewWriter(conn)
	answer := func(result string) {
		fmt.Fprintf(w, "R %s\n", result)
		w.Flush()
		// The hook closes its end when it exits, having reported the
		// answer. Until then PID 1, which may be about to exit, holds on
		// (see Drain): its exit would kill the hook first.
		conn.SetReadDeadline(time.Now().Add(hookExitTimeout))
		io.Copy(io.Discard, conn)
	}
	// Read the request before any refusal, so the caller's write cannot fail
	// on a closed socket and hide the reason.
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	if err := checkPeer(conn); err != nil {
		answer(err.Error())
		return
	}
	phase, err := ParsePhase(strings.TrimSpace(line))
	if err != nil {
		answer(err.Error())
		return
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

// hookExitTimeout bounds the wait for a hook to exit after its answer.
const hookExitTimeout = 2 * time.Second

// checkPeer admits a peer of PID 1's own PID namespace and user (or root).
func checkPeer(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("refused: cannot read the caller's credentials: %v", credErr)
	}
	if cred.Pid == 0 {
		return errors.New("refused: the caller is not in this container's PID namespace")
	}
	if self := uint32(os.Geteuid()); cred.Uid != self && cred.Uid != 0 {
		return fmt.Errorf("refused: user %d may not run hooks of a podinit running as user %d", cred.Uid, self)
	}
	return nil
}

// ErrNoPodinit says nothing answers on the control socket: PID 1 is not podinit.
var ErrNoPodinit = errors.New("PID 1 is not podinit")

// Join asks PID 1 to start or join phase, copies the progress lines to out
// as they come, and returns the phase's result: nil when it succeeded.
func Join(phase Phase, out io.Writer) error {
	addr, err := SocketAddress()
	if err != nil {
		return err
	}
	conn, err := net.Dial("unix", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return ErrNoPodinit
		}
		return fmt.Errorf("control socket: %w", err)
	}
	if _, err := fmt.Fprintf(conn, "%s\n", phase); err != nil {
		conn.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		kind, text, _ := strings.Cut(sc.Text(), " ")
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
	return fmt.Errorf("control socket: PID 1 closed the connection before %s ended", phase)
}
