package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podinit/podinit/e2e/podman"
)

// lifecyclePlan is the plan of the SPEC's example: wait until the app
// answers, register it, and before it stops deregister it and give the
// proxies a moment, against a registry that wants credentials.
func lifecyclePlan(reg *registry, port string) []string {
	status := reg.withCredentials() + "/eureka/apps/E2E/${HOSTNAME}/status?value="
	return []string{
		"--poststart", "wait-http http://127.0.0.1:" + port + "/health --timeout 30s",
		"--poststart", "http PUT " + status + "UP",
		"--prestop", "http PUT " + status + "OUT_OF_SERVICE --timeout 5s",
		"--prestop", "sleep 1s",
	}
}

// docker stop sends SIGTERM to PID 1 and SIGKILL after -t seconds: podinit
// runs prestop first, so the registry hears of the stop before the app does.
func TestDockerStopRunsPrestopBeforeTheAppGetsTERM(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, "e2e", "s3cret")
	port := freePort(t)
	args := append([]string{"--hostname", "e2e-docker", image, "/podinit"}, lifecyclePlan(reg, port)...)
	c := startContainer(t, append(args, "--", "/app", "serve", port, "0", reg.withCredentials()+"/app")...)
	reg.waitFor(t, "PUT /eureka/apps/E2E/e2e-docker/status?value=UP")

	podmanMust(t, "stop", "-t", "15", c.name)
	if code := c.wait(deadline); code != 0 {
		t.Fatalf("exit code %d, want the app's 0; log:\n%s", code, c.logs())
	}
	want := []string{
		"PUT /eureka/apps/E2E/e2e-docker/status?value=UP",
		"PUT /eureka/apps/E2E/e2e-docker/status?value=OUT_OF_SERVICE",
		"GET /app?signal=SIGTERM",
	}
	if got := reg.seen(); !slices.Equal(got, want) {
		t.Fatalf("the registry saw %q, want %q", got, want)
	}
	logs := c.logs()
	inOrder(t, "podman logs", logs,
		"podinit poststart 1/2 wait-http http://127.0.0.1:"+port+"/health", "podinit poststart 1/2 ok",
		"podinit poststart 2/2 http PUT http://e2e:xxxxx@127.0.0.1:", "podinit poststart 2/2 ok",
		"podinit prestop 1/2 http PUT http://e2e:xxxxx@127.0.0.1:", "/status?value=OUT_OF_SERVICE", "podinit prestop 1/2 ok",
		"podinit prestop 2/2 sleep 1s", "podinit prestop 2/2 ok",
		"app: got SIGTERM",
		"exited with code 0",
	)
	if strings.Contains(logs, "s3cret") {
		t.Fatalf("the registry's password is in the log:\n%s", logs)
	}
}

// Kubernetes runs `podinit hook poststart` right after the container
// starts, and on delete `podinit hook prestop`, then SIGTERM: the hooks join
// PID 1's runs, so each phase runs once and the app exits by itself.
func TestKubeletHooksJoinPID1sPhases(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, "e2e", "s3cret")
	port := freePort(t)
	args := append([]string{"--hostname", "e2e-kubelet", image, "/podinit"}, lifecyclePlan(reg, port)...)
	c := startContainer(t, append(args, "--", "/app", "serve", port, "0", reg.withCredentials()+"/app")...)

	poststart := c.exec(deadline, "/podinit", "hook", "poststart")
	if poststart.Code != 0 || !strings.Contains(poststart.Stdout, "poststart 2/2 ok") {
		t.Fatalf("hook poststart: %s; want exit 0 after the phase's last step", poststart)
	}
	reg.waitFor(t, "PUT /eureka/apps/E2E/e2e-kubelet/status?value=UP")

	hook, code, killed := c.kubeletDelete(10 * time.Second)
	if hook.Code != 0 || !strings.Contains(hook.Stdout, "prestop 2/2 ok") {
		t.Fatalf("hook prestop: %s; want exit 0 after the phase's last step", hook)
	}
	if killed || code != 0 {
		t.Fatalf("exit code %d, SIGKILL needed: %v; want the app's 0 after SIGTERM\n%s", code, killed, c.logs())
	}
	want := []string{
		"PUT /eureka/apps/E2E/e2e-kubelet/status?value=UP",
		"PUT /eureka/apps/E2E/e2e-kubelet/status?value=OUT_OF_SERVICE",
		"GET /app?signal=SIGTERM",
	}
	if got := reg.seen(); !slices.Equal(got, want) {
		t.Fatalf("the registry saw %q, want %q: each phase once, the signal last", got, want)
	}
	logs := c.logs()
	if n := strings.Count(logs, "podinit prestop 1/2 http PUT"); n != 1 {
		t.Fatalf("prestop's first step started %d times, want once:\n%s", n, logs)
	}
	inOrder(t, "podman logs", logs, "podinit prestop 2/2 ok", "app: got SIGTERM", "exited with code 0")
}

// A preStop hook that outlasts the grace period: kubelet stops waiting,
// sends SIGTERM, and podinit cuts the phase short and stops the app before
// kubelet's SIGKILL.
func TestKubeletTERMCutsAHangingPrestopShort(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	c := startContainer(t, image, "/podinit", "--prestop", "sleep 60s", "--", "/app", "serve", port)
	c.waitLog("app: serving on")

	hook, code, killed := c.kubeletDelete(3 * time.Second)
	if !strings.Contains(hook.Stdout, "prestop 1/1 sleep 60s") || strings.Contains(hook.Stdout, "prestop 1/1 ok") {
		t.Fatalf("hook prestop: %s; want the phase started and not ended when kubelet stopped waiting", hook)
	}
	if killed || code != 0 {
		t.Fatalf("exit code %d, SIGKILL needed: %v; want the app's 0 after SIGTERM\n%s", code, killed, c.logs())
	}
	inOrder(t, "podman logs", c.logs(), "podinit prestop 1/1 sleep 60s", "cut short", "app: got SIGTERM", "exited with code 0")
}

// A container whose PID 1 is not podinit: the hook runs its own steps and
// writes its progress into the container's log, where kubectl logs finds it.
func TestHookInAnImageWhosePID1IsNotPodinit(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	c := startContainer(t, image, "/app", "serve", port)
	c.waitLog("app: serving on")

	hook := c.exec(deadline, "/podinit", "hook", "prestop", "exec echo deregistered", "sleep 200ms")
	if hook.Code != 0 {
		t.Fatalf("hook prestop: %s; want exit 0", hook)
	}
	podmanMust(t, "kill", "-s", "TERM", c.name)
	if code := c.wait(deadline); code != 0 {
		t.Fatalf("exit code %d, want the app's 0", code)
	}
	inOrder(t, "podman logs", c.logs(),
		"app: serving on",
		"podinit prestop 1/2 exec echo deregistered", "prestop 1/2 | deregistered", "podinit prestop 1/2 ok",
		"podinit prestop 2/2 sleep 200ms", "podinit prestop 2/2 ok",
		"app: got SIGTERM",
	)
}

// With a read-only root and an unprivileged user, hooks still reach PID 1
// (the control socket needs no file), and the termination message is
// written to kubelet's bind-mounted file.
func TestReadOnlyRootAndUnprivilegedUser(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	logPath, mount := terminationLog(t)
	c := startContainer(t, "--read-only", "--user", "1000:1000", "-v", mount, image, "/podinit",
		"--poststart", "wait-tcp 127.0.0.1:"+port+" --timeout 30s",
		"--prestop", "exec echo draining",
		"--", "/app", "serve", port, "3")

	if r := c.exec(deadline, "/podinit", "hook", "poststart"); r.Code != 0 || !strings.Contains(r.Stdout, "poststart 1/1 ok") {
		t.Fatalf("hook poststart: %s; want exit 0 after PID 1's step", r)
	}
	hook, code, killed := c.kubeletDelete(10 * time.Second)
	if hook.Code != 0 || !strings.Contains(hook.Stdout, "prestop 1/1 ok") {
		t.Fatalf("hook prestop: %s; want exit 0 after the phase's step", hook)
	}
	if killed || code != 3 {
		t.Fatalf("exit code %d, SIGKILL needed: %v; want the app's 3\n%s", code, killed, c.logs())
	}
	if logs := c.logs(); !strings.Contains(logs, "as uid 1000 gid 1000") {
		t.Fatalf("the app did not run as 1000:1000:\n%s", logs)
	}
	wantTerminationMessage(t, logPath, "app exited with code 3", "prestop: ok (started by hook)")
}

// A failing postStart fails the container, as in Kubernetes: the hook exits
// non-zero with its reason, which kubelet records as FailedPostStartHook,
// and PID 1 stops the app and exits 1.
func TestFailedPoststartFailsTheContainer(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	// The step fails when the test says so, once the hook has joined.
	c := startContainer(t, image, "/podinit",
		"--poststart", "exec sh -c 'until [ -e /tmp/fail ]; do sleep 0.05; done; exit 1'",
		"--", "/app", "serve", port)
	hooked := make(chan podman.Result)
	go func() { hooked <- c.exec(deadline, "/podinit", "hook", "poststart") }()
	for start := time.Now(); !strings.Contains(c.exec(deadline, "ps", "-o", "args").Stdout, "/podinit hook poststart"); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > deadline {
			t.Fatal("the hook never started")
		}
	}
	c.exec(deadline, "touch", "/tmp/fail")
	hook := <-hooked
	if hook.Code == 0 || !strings.Contains(hook.Stderr, "podinit hook poststart:") {
		t.Fatalf("hook poststart: %s; want a non-zero exit and its reason", hook)
	}
	if code := c.wait(deadline); code != 1 {
		t.Fatalf("exit code %d, want 1 for a failed poststart\n%s", code, c.logs())
	}
	inOrder(t, "podman logs", c.logs(), "podinit poststart 1/1 exec sh -c", "podinit poststart 1/1 failed", "app: got SIGTERM")
}

// An image whose ENTRYPOINT calls tini keeps it when podinit is installed
// under tini's name, and gains the lifecycle through PODINIT_* variables.
func TestTiniPersonaInAContainer(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	c := startContainer(t, "-e", "PODINIT_PRESTOP=exec echo deregistered; sleep 100ms", image,
		"/sbin/tini", "-g", "--", "/app", "serve", port, "143")
	c.waitLog("app: serving on")
	podmanMust(t, "stop", "-t", "15", c.name)
	if code := c.wait(deadline); code != 143 {
		t.Fatalf("exit code %d, want the app's 143 as tini passes it on\n%s", code, c.logs())
	}
	inOrder(t, "podman logs", c.logs(), "podinit prestop 1/2 exec echo deregistered", "prestop 1/2 | deregistered",
		"podinit prestop 2/2 ok", "app: got SIGTERM")
}

// The JVM's stop without a `kill; while ps` loop: kubelet's preStop hook
// starts PID 1's prestop, which signals the app, waits for it, and cleans up
// after it. The app exits during the phase, and the phase goes on to its
// end; the process the app left behind in a session of its own is signalled
// only then, and once the hook has exited, so the signal reaches neither the
// cleanup step nor the hook.
func TestKubeletPrestopThatStopsTheApp(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	c := startContainer(t, image, "/podinit", "--remap-exit", "143",
		"--prestop", "signal TERM", "--prestop", "wait-exit --timeout 10s", "--prestop", "exec sleep 1",
		"--", "sh", "-c", "setsid sleep 1000 & exec /app serve "+port+" 143")
	c.waitLog("app: serving on")

	hook, code, killed := c.kubeletDelete(20 * time.Second)
	if hook.Code != 0 || !strings.Contains(hook.Stdout, "prestop 3/3 ok") {
		t.Fatalf("hook prestop: %s; want exit 0 after the phase's last step\n%s", hook, c.logs())
	}
	if killed || code != 0 {
		t.Fatalf("exit code %d, SIGKILL needed: %v; want the app's 143 remapped to 0\n%s", code, killed, c.logs())
	}
	logs := c.logs()
	inOrder(t, "podman logs", logs, "podinit prestop 1/3 signal TERM", "app: got SIGTERM", "exited with code 143")
	inOrder(t, "podman logs", logs, "podinit prestop 2/3 wait-exit", "podinit prestop 2/3 ok",
		"podinit prestop 3/3 exec sleep 1", "podinit prestop 3/3 ok", "podinit prestop ok",
		"outlived the app: sending SIGTERM")
}

// With a shared PID namespace (Kubernetes' shareProcessNamespace, `podman pod
// create --share pid`) neither podinit is PID 1, and both containers share
// one network namespace, hence one namespace of socket names: each
// container's hook must still reach its own container's podinit.
func TestSharedPIDNamespaceEachHookReachesItsOwnPodinit(t *testing.T) {
	t.Parallel()
	needPodman(t)
	pod := fmt.Sprintf("podinit-e2e-sharedpid-%d", time.Now().UnixNano()%1e6)
	podmanMust(t, "pod", "create", "--name", pod, "--label", label+"="+runID, "--share", "pid,net")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		pm.Run(ctx, "pod", "rm", "-f", "-t", "0", pod)
	})
	containers := map[string]*container{}
	for _, name := range []string{"a", "b"} {
		c := &container{t: t, name: pod + "-" + name}
		podmanMust(t, "run", "-d", "--pod", pod, "--name", c.name, "--label", label+"="+runID, image,
			"/podinit", "--prestop", "exec echo prestop of "+name, "--", "sleep", "1000")
		c.waitLog("started")
		containers[name] = c
	}
	for _, name := range []string{"a", "b"} {
		hook := containers[name].exec(deadline, "/podinit", "hook", "prestop")
		if hook.Code != 0 || !strings.Contains(hook.Stdout, "prestop 1/1 ok") {
			t.Fatalf("container %s: hook prestop: %s; want its own podinit's prestop", name, hook)
		}
	}
	for name, c := range containers {
		logs := c.logs()
		other := map[string]string{"a": "b", "b": "a"}[name]
		if strings.Count(logs, "| prestop of "+name) != 1 || strings.Contains(logs, "prestop of "+other) {
			t.Errorf("container %s ran the wrong prestop; its log:\n%s", name, logs)
		}
	}
}
