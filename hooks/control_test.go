package hooks

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// squatEnv makes the test binary a squatter: a process of another container
// of the pod (another mount namespace, the same network namespace) that binds
// a container's control socket name first and answers every hook "ok".
const squatEnv = "HOOKS_TEST_SQUAT"

func squat(addr string) int {
	ln, err := net.Listen("unix", addr)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("listening")
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		fmt.Fprintf(c, "R ok\n")
		c.Close()
	}
}

func TestSquattedSocketIsRefusedByBothEnds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root, to start a squatter in a mount namespace of its own with unshare(1)")
	}
	addr, err := SocketAddress()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	squatter := exec.Command("unshare", "--mount", self)
	squatter.Env = append(os.Environ(), squatEnv+"="+addr, "GORACE=atexit_sleep_ms=0")
	out, err := squatter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := squatter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { squatter.Process.Kill(); squatter.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "listening\n" {
		t.Fatalf("squatter: %q", line)
	}

	if ln, err := Listen(); err == nil {
		ln.Close()
		t.Fatal("Listen succeeded on a name another process holds")
	} else if !strings.Contains(err.Error(), "another process of this pod's network namespace holds the name") {
		t.Errorf("Listen: %v; want it to say who holds the name", err)
	}
	var progress strings.Builder
	err = Join(Prestop, &progress)
	if err == nil || !strings.Contains(err.Error(), "not by this container's podinit: the hook sent it nothing") {
		t.Errorf("Join through a squatted name: %v; want a refusal of the squatter", err)
	}
	if progress.Len() != 0 {
		t.Errorf("Join wrote %q", progress.String())
	}
}

// serveControl runs a Server on this container's control socket whose every
// answer is marker, so a test can tell a hook that was answered.
func serveControl(t *testing.T, marker string) *Server {
	t.Helper()
	ln, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &Server{}
	go s.Serve(ln, func(Phase) (*Run, error) { return nil, errors.New(marker) })
	return s
}

// A request of any size costs PID 1 at most maxRequest bytes of reading.
func TestControlRequestIsBounded(t *testing.T) {
	serveControl(t, "answered")
	addr, _ := SocketAddress()
	conn, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		chunk := make([]byte, 1<<20)
		for i := range chunk {
			chunk[i] = 'x'
		}
		for range 200 { // 200 MiB, one line
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	answer, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if want := fmt.Sprintf("R request longer than %d bytes", maxRequest); !strings.HasPrefix(answer, want) {
		t.Errorf("answer %q, want %q", answer, want)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
		t.Errorf("the server allocated %d KiB for a long request", grown>>10)
	}
}

// However many idle connections a peer holds open, a real hook is answered,
// and the server keeps at most maxWaiting of them.
func TestControlIdleConnectionsLockNoHookOut(t *testing.T) {
	var limit unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &limit); err != nil || limit.Cur < 4200 {
		t.Fatalf("RLIMIT_NOFILE is %d (err %v); the test needs 4200", limit.Cur, err)
	}
	s := serveControl(t, "answered")
	addr, _ := SocketAddress()
	var idle []net.Conn
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	for range 2000 {
		c, err := net.Dial("unix", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", len(idle)+1, err)
		}
		idle = append(idle, c)
	}
	err := Join(Prestop, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "answered") {
		t.Fatalf("Join beside 2000 idle connections: %v; want the server's answer", err)
	}
	s.mu.Lock()
	waiting := len(s.waiting)
	s.mu.Unlock()
	if waiting > maxWaiting {
		t.Errorf("%d connections waiting, more than %d", waiting, maxWaiting)
	}
}
