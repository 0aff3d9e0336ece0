package e2e

import (
	"strings"
	"testing"
	"time"
)

// The container's exit code, as docker and kubelet read it from the
// runtime, is the app's: its code, or 128+N when signal N killed it.
func TestExitCodesThroughTheRuntime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		script  string
		code    int
		line    string // in the log
		message string // in the termination message
	}{
		{"exit 0", 0, "exited with code 0", "app exited with code 0"},
		{"exit 3", 3, "exited with code 3", "app exited with code 3"},
		{"kill -KILL $$", 137, "killed by SIGKILL: exit code 137", "app killed by SIGKILL (exit code 137)"},
	}
	for _, tc := range cases {
		logPath, mount := terminationLog(t)
		r := runContainer(t, "-v", mount, image, "/podinit", "--", "sh", "-c", tc.script)
		if r.Code != tc.code || !strings.Contains(r.Stdout, tc.line) {
			t.Errorf("sh -c %q: %s; want exit %d and %q in the log", tc.script, r, tc.code, tc.line)
		}
		wantTerminationMessage(t, logPath, tc.message)
	}
}

// Processes the app leaves behind are re-parented to PID 1. Without an
// init they stay zombies in the container; with podinit `ps` shows none.
func TestNoZombieInsideTheContainer(t *testing.T) {
	t.Parallel()
	zombies := func(c *container) []string {
		c.waitLog("app: left 6 orphans behind")
		// The orphans sleep 0.1s. Once none is running, each has ended
		// and is a zombie or reaped.
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			r := c.exec(deadline, "ps", "-o", "pid,ppid,stat,comm")
			if r.Code != 0 {
				c.t.Fatalf("ps: %s", r)
			}
			var found []string
			running := false
			for _, line := range strings.Split(r.Stdout, "\n") {
				f := strings.Fields(line)
				if len(f) < 4 {
					continue
				}
				if strings.HasPrefix(f[2], "Z") {
					found = append(found, line)
				} else if f[3] == "sleep" {
					running = true
				}
			}
			if !running {
				return found
			}
			if time.Since(start) > deadline {
				c.t.Fatalf("the orphaned sleeps never ended:\n%s", r.Stdout)
			}
		}
	}

	// The control: with the app as PID 1, the check does see zombies.
	bare := startContainer(t, image, "/app", "orphans")
	if z := zombies(bare); len(z) == 0 {
		t.Fatalf("with the app as PID 1, ps showed no zombie, so this test could not see one:\n%s",
			bare.exec(deadline, "ps", "-o", "pid,ppid,stat,comm").Stdout)
	}
	c := startContainer(t, image, "/podinit", "--", "/app", "orphans")
	if z := zombies(c); len(z) > 0 {
		t.Fatalf("zombies inside the container with podinit as PID 1:\n%s", strings.Join(z, "\n"))
	}
	podmanMust(t, "stop", "-t", "10", c.name)
	if code := c.wait(deadline); code != 0 {
		t.Fatalf("exit code %d, want the app's 0", code)
	}
}

// The kernel's OOM killer kills the app under the container's memory limit:
// the exit code is 137, and the termination message says it was the OOM
// killer, which kubectl describe pod shows.
func TestOOMKillIsRecorded(t *testing.T) {
	t.Parallel()
	logPath, mount := terminationLog(t)
	r := runContainer(t, "--memory", "64m", "--memory-swap", "64m", "-v", mount, image, "/podinit", "--", "/app", "hog")
	// 125 is podman's own failure: the container did not start.
	if r.Code == 125 && strings.Contains(r.Stderr, "memory") {
		t.Skipf("this machine's cgroup setup does not allow a memory limit, so the OOM killer cannot be provoked here: %s", r)
	}
	if r.Code != 137 || !strings.Contains(r.Stdout, "killed by SIGKILL: exit code 137") {
		t.Fatalf("%s; want exit 137 after the OOM killer's SIGKILL", r)
	}
	wantTerminationMessage(t, logPath, "app killed by SIGKILL (exit code 137)", "OOM killer: killed 1 process(es) in this container")
}

// docker stop's SIGTERM reaches nginx as SIGQUIT, its graceful stop, with
// --rewrite TERM:QUIT; a signal sent with podman kill reaches the app as is.
func TestSignalsFromTheRuntimeReachTheApp(t *testing.T) {
	t.Parallel()
	rewritten := startContainer(t, image, "/podinit", "--rewrite", "TERM:QUIT", "--", "/app", "serve", freePort(t))
	rewritten.waitLog("app: serving on")
	podmanMust(t, "stop", "-t", "15", rewritten.name)
	if code := rewritten.wait(deadline); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, rewritten.logs())
	}
	inOrder(t, "podman logs", rewritten.logs(), "app: got SIGQUIT", "exited with code 0")

	killed := startContainer(t, image, "/podinit", "--", "/app", "serve", freePort(t), "5")
	killed.waitLog("app: serving on")
	podmanMust(t, "kill", "-s", "INT", killed.name)
	if code := killed.wait(deadline); code != 5 {
		t.Fatalf("exit code %d, want the app's 5\n%s", code, killed.logs())
	}
	inOrder(t, "podman logs", killed.logs(), "app: got SIGINT", "exited with code 5")
}
