package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podinit/podinit/e2e/podman"
)

// deadline bounds every wait in these tests; reaching it is a failure.
const deadline = 60 * time.Second

// label marks every image and container of a run, with the run's process
// id as its value: a run removes its own at the end, and those of earlier
// runs that ended without cleaning up (killed, or timed out) at the start.
const label = "podinit-e2e"

var (
	runID     = strconv.Itoa(os.Getpid())
	image     = "localhost/podinit-e2e:" + runID      // busybox, /podinit (also as /sbin/tini) and /app
	baseImage = "localhost/podinit-e2e-base:" + runID // busybox and /app: an image podinit is not in yet

	pm       *podman.Podman
	setupErr error // why the tests cannot run, reported by each of them
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "podinit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	setupErr = setup(dir)
	code := m.Run()
	if pm != nil {
		sweep(func(run string) bool { return run == runID })
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func setup(dir string) error {
	var err error
	if pm, err = podman.New(dir); err != nil {
		return err
	}
	if err := sweep(func(run string) bool {
		_, err := os.Stat("/proc/" + run)
		return run != runID && os.IsNotExist(err)
	}); err != nil {
		return err
	}
	// Both programs are built as podinit ships: static, without cgo, so
	// an image holds nothing else.
	for pkg, out := range map[string]string{"../cmd/podinit": "podinit", "./testapp": "app"} {
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, out), pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	img, err := podman.Busybox("ps", "sleep", "cat", "echo", "ls", "kill", "rm", "touch", "true", "setsid")
	if err != nil {
		return err
	}
	img.Files["app"] = filepath.Join(dir, "app")
	img.Changes = append(img.Changes, "LABEL "+label+"="+runID)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := pm.Import(ctx, baseImage, img); err != nil {
		return err
	}
	img.Files["podinit"] = filepath.Join(dir, "podinit")
	img.Links["sbin/tini"] = "/podinit" // podinit takes tini's persona by this name
	return pm.Import(ctx, image, img)
}

// sweep removes the containers and images of the runs for which remove is
// true.
func sweep(remove func(run string) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	return pm.Sweep(ctx, label, remove)
}

func needPodman(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("the end-to-end tests need real containers: %v", setupErr)
	}
}

// podmanRun runs podman to the end, failing the test if podman itself
// cannot be run; the exit code is the caller's to judge.
func podmanRun(t *testing.T, ctx context.Context, args ...string) podman.Result {
	t.Helper()
	r, err := pm.Run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// podmanMust runs podman and fails the test unless it exits 0.
func podmanMust(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	out, err := pm.Must(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// container is a running container, removed when its test ends.
type container struct {
	t    *testing.T
	name string
}

// startContainer runs `podman run -d` with the host's network, so the app
// reaches the test's registry on 127.0.0.1, and a name of the test's own.
func startContainer(t *testing.T, args ...string) *container {
	t.Helper()
	needPodman(t)
	name := fmt.Sprintf("podinit-e2e-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano()%1e6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		pm.Run(ctx, "rm", "-f", "-t", "0", name)
	})
	podmanMust(t, append([]string{"run", "-d", "--name", name, "--label", label + "=" + runID, "--network", "host"}, args...)...)
	return &container{t: t, name: name}
}

// runContainer is `podman run --rm` to the end, as startContainer starts
// one.
func runContainer(t *testing.T, args ...string) podman.Result {
	t.Helper()
	needPodman(t)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	return podmanRun(t, ctx, append([]string{"run", "--rm", "--label", label + "=" + runID, "--network", "host"}, args...)...)
}

func (c *container) logs() string {
	c.t.Helper()
	return podmanMust(c.t, "logs", c.name)
}

// waitLog waits until the container's log holds text.
func (c *container) waitLog(text string) {
	c.t.Helper()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		logs := c.logs()
		if strings.Contains(logs, text) {
			return
		}
		if time.Since(start) > deadline {
			c.t.Fatalf("the log of %s never showed %q; it holds:\n%s", c.name, text, logs)
		}
	}
}

// exec is `podman exec NAME ARGS...`, bounded by timeout.
func (c *container) exec(timeout time.Duration, args ...string) podman.Result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return podmanRun(c.t, ctx, append([]string{"exec", c.name}, args...)...)
}

// wait waits for the container to exit, at most timeout, and returns its
// exit code, or -1 if it was still running.
func (c *container) wait(timeout time.Duration) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := podmanRun(c.t, ctx, "wait", c.name)
	if ctx.Err() != nil {
		return -1
	}
	code, err := strconv.Atoi(strings.TrimSpace(r.Stdout))
	if r.Code != 0 || err != nil {
		c.t.Fatalf("podman wait %s: %s", c.name, r)
	}
	return code
}

// kubeletDelete stops the container as kubelet deletes a pod's container
// (killContainer): it runs the preStop exec hook and waits for it at most
// the grace period, leaving it running if it takes longer; then the CRI's
// StopContainer sends SIGTERM and, when the container is still running
// after max(what is left of the grace period, 2s), SIGKILL. Kubelet counts
// the hook's time in whole seconds, which gives the app up to a second
// more than here. A container already gone is left as it is.
func (c *container) kubeletDelete(grace time.Duration) (hook podman.Result, exitCode int, killed bool) {
	c.t.Helper()
	start := time.Now()
	hook = c.exec(grace, "/podinit", "hook", "prestop")
	left := max(grace-time.Since(start), 2*time.Second)
	// podman stop -t is the CRI's StopContainer: the runtime times the
	// SIGKILL.
	seconds := strconv.Itoa(int((left + time.Second - 1) / time.Second))
	stop := podmanRun(c.t, context.Background(), "stop", "-t", seconds, c.name)
	if stop.Code != 0 {
		c.t.Fatalf("podman stop -t %s %s: %s", seconds, c.name, stop)
	}
	exitCode = c.wait(deadline)
	return hook, exitCode, strings.Contains(stop.Stderr, "SIGKILL")
}

// inOrder fails unless every one of want appears in text, each after the
// one before it.
func inOrder(t *testing.T, what, text string, want ...string) {
	t.Helper()
	rest := text
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("%s: %q missing, or not after %q; the whole of it:\n%s", what, w, want, text)
		}
		rest = rest[i+len(w):]
	}
}

// registry is a service registry on the host, which the containers reach on
// 127.0.0.1. It records each request, in the order they arrived, and asks
// for basic credentials when it is given some.
type registry struct {
	*httptest.Server
	user     string
	password string
	mu       sync.Mutex
	requests []string
}

func newRegistry(t *testing.T, user, password string) *registry {
	r := &registry{user: user, password: password}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, _ := req.BasicAuth(); user != "" && (u != user || p != password) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.RequestURI())
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// withCredentials is the registry's URL with the user and password it
// asks for.
func (r *registry) withCredentials() string {
	return strings.Replace(r.URL, "http://", "http://"+r.user+":"+r.password+"@", 1)
}

func (r *registry) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// waitFor waits until the registry has seen request.
func (r *registry) waitFor(t *testing.T, request string) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		for _, seen := range r.seen() {
			if seen == request {
				return
			}
		}
		if time.Since(start) > deadline {
			t.Fatalf("the registry never saw %q; it saw %q", request, r.seen())
		}
	}
}

// freePort returns a TCP port free on 127.0.0.1, for an app on the host's
// network. It is drawn below the kernel's range for outgoing connections'
// ports (32768 and up), so no connection takes it before the app binds it.
func freePort(t *testing.T) string {
	t.Helper()
	for range 100 {
		port := strconv.Itoa(20000 + rand.IntN(12000))
		if ln, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port on 127.0.0.1 between 20000 and 32000")
	return ""
}

// terminationLog is a file on the host, writable by any user, to be
// bind-mounted at /dev/termination-log as kubelet does.
func terminationLog(t *testing.T) (path, mount string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return path, path + ":/dev/termination-log"
}

// wantTerminationMessage fails unless the termination message at path has
// each of lines.
func wantTerminationMessage(t *testing.T, path string, lines ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Split(string(b), "\n")
	for _, line := range lines {
		if !slices.Contains(have, line) {
			t.Errorf("termination message %q lacks the line %q", b, line)
		}
	}
}
