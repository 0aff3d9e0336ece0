// Command container shows podinit as the ENTRYPOINT of a real podman
// container: it builds an image of busybox and podinit (no registry needed),
// runs an app that registers in a service registry (served here on the
// host), stops it with `podman stop -t 15` as `docker stop` would, and shows
// the container's log: deregistration, the drain, the app's own stop, the
// exit code through the runtime, and the termination message.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/podinit/podinit/demo/story"
	"github.com/podinit/podinit/e2e/podman"
)

const app = `
echo "app: started as pid $$"
(sleep 1000 &)
echo "app: left a sleep behind, re-parented to PID 1"
trap 'echo "app: got SIGTERM, shutting down"; exit 143' TERM
echo "app: ready"
while :; do sleep 1 & wait $!; done
`

const (
	image = "localhost/podinit-demo:latest"
	name  = "podinit-demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	n := story.NewNarrator()
	dir, err := os.MkdirTemp("", "podinit-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pm, err := podman.New(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()

	n.Say("building podinit and an image of busybox and podinit")
	bin := filepath.Join(dir, "podinit")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/podinit")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	img, err := podman.Busybox("sleep")
	if err != nil {
		return err
	}
	img.Files["podinit"] = bin
	if err := pm.Import(ctx, image, img); err != nil {
		return err
	}

	registry := story.NewRegistry(n)
	defer registry.Close()
	termLog := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(termLog, nil, 0o666); err != nil {
		return err
	}

	status := registry.StatusURL("DEMO")
	pm.Run(ctx, "rm", "-f", "-t", "0", name)
	args := []string{"run", "-d", "--name", name, "--hostname", "pod-1", "--network", "host",
		"-v", termLog + ":/dev/termination-log", image,
		"/podinit", "--remap-exit", "143",
		"--poststart", "http PUT " + status + "UP",
		"--prestop", "http PUT " + status + "OUT_OF_SERVICE",
		"--prestop", "sleep 2s",
		"--", "sh", "-c", app}
	fmt.Printf("\n$ podman run -d --name %s --hostname pod-1 --network host \\\n", name)
	fmt.Printf("    -v termination-log:/dev/termination-log %s /podinit --remap-exit 143 \\\n", image)
	fmt.Printf("    --poststart 'http PUT %sUP' \\\n", status)
	fmt.Printf("    --prestop 'http PUT %sOUT_OF_SERVICE' \\\n", status)
	fmt.Printf("    --prestop 'sleep 2s' -- sh -c '<app>'\n\n")
	if _, err := pm.Must(ctx, args...); err != nil {
		return err
	}
	defer pm.Run(ctx, "rm", "-f", "-t", "0", name)

	logs := pm.Command(ctx, "logs", "--follow", name)
	out, err := logs.StdoutPipe()
	if err != nil {
		return err
	}
	logs.Stderr = logs.Stdout
	if err := logs.Start(); err != nil {
		return err
	}
	done, ready := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		story.Lines(out, func(line string) {
			n.Say("container: %s", line)
			if strings.Contains(line, "podinit poststart ok in") {
				close(ready)
			}
		})
	}()
	if err := story.Await(30*time.Second, ready, registry.Registered); err != nil {
		return err
	}

	n.Say("$ podman stop -t 15 %s    # what docker stop does: SIGTERM to PID 1, SIGKILL after 15s", name)
	if _, err := pm.Must(ctx, "stop", "-t", "15", name); err != nil {
		return err
	}
	<-done
	logs.Wait()
	code, err := pm.Must(ctx, "inspect", "--format", "{{.State.ExitCode}}", name)
	if err != nil {
		return err
	}
	n.Say("$ podman inspect --format '{{.State.ExitCode}}' %s    # the app's 143, remapped", name)
	n.Say("%s", strings.TrimSpace(code))
	msg, err := os.ReadFile(termLog)
	if err != nil {
		return err
	}
	n.Say("the termination message, which kubectl describe pod shows:")
	for _, line := range strings.Split(strings.TrimSpace(string(msg)), "\n") {
		n.Say("  %s", line)
	}
	return nil
}
