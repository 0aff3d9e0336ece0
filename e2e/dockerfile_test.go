package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/podinit/podinit/e2e/podman"
)

// moduleVersion is the version podinit's module is published as to the
// build, through a module proxy on the local disk.
const moduleVersion = "v0.1.0"

// Dockerfile.example is built as a user builds it, with its build
// arguments pointing at local images: a Go image holding this machine's Go
// toolchain, whose module proxy is a folder serving podinit and its
// dependencies, and an app image with busybox and the test app. Its
// ENTRYPOINT then runs the docker stop story.
func TestDockerfileExample(t *testing.T) {
	t.Parallel()
	needPodman(t)
	goImage := buildGoImage(t)
	proxy := moduleProxy(t)

	example := "localhost/podinit-e2e-example:" + runID
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := podmanRun(t, ctx, "build", "--network", "host", "--file", "../Dockerfile.example", "--label", label+"="+runID,
		"--build-arg", "GO_IMAGE="+goImage,
		"--build-arg", "APP_IMAGE="+baseImage,
		"--build-arg", "PODINIT_VERSION="+moduleVersion,
		"--volume", proxy+":/goproxy:ro",
		"--tag", example, t.TempDir())
	if build.Code != 0 {
		t.Fatalf("podman build -f Dockerfile.example: %s", build)
	}

	version := podmanRun(t, ctx, "run", "--rm", "--entrypoint", "/podinit", example, "version")
	if version.Code != 0 || !strings.HasPrefix(version.Stdout, "podinit "+moduleVersion+" ") {
		t.Fatalf("podinit version in the built image: %s; want %s", version, moduleVersion)
	}

	// The image's own plan passes podinit plan --strict, run inside it.
	var entrypoint []string
	out := podmanMust(t, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", example)
	if err := json.Unmarshal([]byte(out), &entrypoint); err != nil || len(entrypoint) < 2 || entrypoint[0] != "/podinit" {
		t.Fatalf("ENTRYPOINT %s: want /podinit and its flags (%v)", out, err)
	}
	plan := podmanRun(t, ctx, append([]string{"run", "--rm", "--entrypoint", "/podinit", example, "plan", "--strict"}, entrypoint[1:]...)...)
	if plan.Code != 0 {
		t.Fatalf("podinit plan --strict with the image's ENTRYPOINT: %s", plan)
	}

	// The app stands in for the JVM: it exits 143 after SIGTERM, which the
	// ENTRYPOINT's --remap-exit 143 turns into 0.
	reg := newRegistry(t, "", "")
	port := freePort(t)
	c := startContainer(t, "--hostname", "e2e-example", "-e", "REGISTRY="+reg.URL, "-e", "SERVER_PORT="+port,
		example, "/app", "serve", port, "143", reg.URL+"/app")
	reg.waitFor(t, "PUT /eureka/apps/shop/e2e-example/status?value=UP")
	podmanMust(t, "stop", "-t", "30", c.name)
	if code := c.wait(deadline); code != 0 {
		t.Fatalf("exit code %d, want 0: the app's 143 remapped\n%s", code, c.logs())
	}
	want := []string{
		"PUT /eureka/apps/shop/e2e-example/status?value=UP",
		"PUT /eureka/apps/shop/e2e-example/status?value=OUT_OF_SERVICE",
		"GET /app?signal=SIGTERM",
	}
	if got := reg.seen(); !slices.Equal(got, want) {
		t.Fatalf("the registry saw %q, want %q", got, want)
	}
	inOrder(t, "podman logs", c.logs(),
		"podinit prestop 1/3 http PUT", "podinit prestop 1/3 ok",
		"podinit prestop 2/3 sleep 5s", "podinit prestop 2/3 ok",
		"podinit prestop 3/3 wait-drain", "podinit prestop 3/3 ok",
		"app: got SIGTERM", "exited with code 143")
}

// buildGoImage makes a stand-in for the golang image from this machine's Go
// toolchain.
func buildGoImage(t *testing.T) string {
	t.Helper()
	name := "localhost/podinit-e2e-go:" + runID
	goroot := strings.TrimSpace(goEnv(t, "GOROOT"))
	img, err := podman.Busybox("mkdir", "rm")
	if err != nil {
		t.Fatal(err)
	}
	img.Trees = map[string]string{strings.TrimPrefix(goroot, "/"): goroot}
	img.Dirs["root"] = 0o700
	img.Changes = []string{
		"ENV PATH=" + goroot + "/bin:/bin",
		"ENV HOME=/root",
		"ENV GOPROXY=file:///goproxy",
		"ENV GOSUMDB=off",
		"ENV GOTOOLCHAIN=local",
		"LABEL " + label + "=" + runID,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := pm.Import(ctx, name, img); err != nil {
		t.Fatal(err)
	}
	return name
}

// moduleProxy lays out a GOPROXY folder serving podinit's module, as it is
// in this working tree, at moduleVersion, and every module it needs, from
// the host's module cache.
func moduleProxy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Dir(strings.TrimSpace(goEnv(t, "GOMOD")))
	if out, err := exec.Command("go", "mod", "download").CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	modules, err := exec.Command("go", "list", "-m", "-f", "{{if not .Main}}{{.Path}} {{.Version}}{{end}}", "all").Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	cache := filepath.Join(strings.TrimSpace(goEnv(t, "GOMODCACHE")), "cache", "download")
	for _, line := range strings.Split(strings.TrimSpace(string(modules)), "\n") {
		path, version, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		from, to := filepath.Join(cache, escapePath(path), "@v"), filepath.Join(dir, escapePath(path), "@v")
		for _, ext := range []string{".info", ".mod", ".zip"} {
			// The cache holds what builds on this machine have needed:
			// of some modules only go.mod, of others nothing at all.
			// What the build in the image lacks, it names.
			b, err := os.ReadFile(filepath.Join(from, version+ext))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(to, version+ext), b)
		}
	}

	const module = "github.com/podinit/podinit"
	at := filepath.Join(dir, module, "@v")
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(at, "list"), []byte(moduleVersion+"\n"))
	writeFile(t, filepath.Join(at, moduleVersion+".info"), fmt.Appendf(nil, `{"Version":%q,"Time":%q}`, moduleVersion, time.Now().UTC().Format(time.RFC3339)))
	writeFile(t, filepath.Join(at, moduleVersion+".mod"), goMod)
	writeFile(t, filepath.Join(at, moduleVersion+".zip"), moduleZip(t, root, module+"@"+moduleVersion))
	return dir
}

// moduleZip is the module's zip as a proxy serves it: every file of the
// working tree that git would track, under MODULE@VERSION/.
func moduleZip(t *testing.T, root, prefix string) []byte {
	t.Helper()
	files, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range strings.Split(strings.TrimSpace(string(files)), "\n") {
		content, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted from the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(prefix + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// escapePath is a module path as the module cache and proxies spell it: an
// upper-case letter becomes ! and its lower case.
func escapePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteRune('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return string(out)
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}
