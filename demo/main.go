// Command demo shows podinit at work: as PID 1 of a fresh PID namespace it
// supervises an app that leaves orphans behind and handles SIGTERM, registers
// it in a service registry (served here on 127.0.0.1) once it has started,
// and, when stopped the way `docker stop` stops a container, deregisters it,
// lets endpoints drain, stops it and cleans up, logging every step.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/podinit/podinit/demo/story"
)

const app = `
echo "app: started as pid $$"
(sleep 1000 &)
(sleep 1000 &)
echo "app: left two sleeps behind, re-parented to PID 1"
trap 'echo "app: got SIGTERM, shutting down"; exit 0' TERM
echo "app: ready"
while :; do sleep 1 & wait $!; done
`

func main() {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "demo: needs root, to give podinit its own PID namespace (unshare --pid)")
		os.Exit(1)
	}
	n := story.NewNarrator()
	registry := story.NewRegistry(n)
	defer registry.Close()
	status := registry.StatusURL("DEMO")

	args := []string{"--pid", "--fork", "--mount-proc", "bin/podinit",
		"--poststart", "http PUT " + status + "UP",
		"--prestop", "http PUT " + status + "OUT_OF_SERVICE",
		"--prestop", "sleep 2s",
		"--prestop", "signal TERM",
		"--prestop", "wait-exit --timeout 10s",
		"--", "sh", "-c", app}
	fmt.Printf("$ HOSTNAME=pod-1 unshare --pid --fork --mount-proc bin/podinit \\\n")
	fmt.Printf("    --poststart 'http PUT %sUP' \\\n", status)
	fmt.Printf("    --prestop 'http PUT %sOUT_OF_SERVICE' \\\n", status)
	fmt.Printf("    --prestop 'sleep 2s' --prestop 'signal TERM' --prestop 'wait-exit --timeout 10s' \\\n")
	fmt.Printf("    -- sh -c '<app>'\n\n")
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), "HOSTNAME=pod-1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		fail(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	done, ready := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		story.Lines(out, func(line string) {
			n.Say("%s", line)
			if line == "app: ready" {
				close(ready)
			}
		})
	}()
	if err := story.Await(30*time.Second, ready, registry.Registered); err != nil {
		fail(err)
	}
	podinit := childOf(cmd.Process.Pid)
	n.Say("$ kill -TERM %d    # what docker stop does to PID 1", podinit)
	if err := syscall.Kill(podinit, syscall.SIGTERM); err != nil {
		fail(err)
	}
	<-done
	code := 0
	if err := cmd.Wait(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			fail(err)
		}
		code = ee.ExitCode()
	}
	n.Say("podinit exited with %d", code)
}

// childOf is unshare's only child: podinit, PID 1 of its namespace.
func childOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		fail(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		fail(fmt.Errorf("podinit's pid: %q", b))
	}
	return child
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "demo:", err)
	os.Exit(1)
}
