// Package podman runs real containers for podinit's end-to-end tests and its
// container demo: images are assembled from files on this machine (no
// registry is needed) and run by podman with runc, the way docker and
// kubelet's CRI calls run them.
package podman

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Podman runs the podman command line with runc and cgroupfs, which work on
// hosts where crun and systemd's cgroup manager do not, and with a
// containers.conf of its own that sets no default ulimits (raising them fails
// inside some sandboxes). The host's own configuration is left alone.
type Podman struct {
	runtime string
	conf    string
}

// New finds podman and runc and writes the configuration into dir. It says
// what is missing and how to install it.
func New(dir string) (*Podman, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("podman: needs root (rootful podman runs these containers)")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		return nil, errors.New("podman: not installed (apt-get install podman runc busybox-static)")
	}
	runtime, err := exec.LookPath("runc")
	if err != nil {
		runtime = "/usr/sbin/runc"
		if _, err := os.Stat(runtime); err != nil {
			return nil, errors.New("runc: not installed (apt-get install runc)")
		}
	}
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644); err != nil {
		return nil, err
	}
	return &Podman{runtime: runtime, conf: conf}, nil
}

// Command is `podman ARGS...`, ready to start.
func (p *Podman) Command(ctx context.Context, args ...string) *exec.Cmd {
	all := append([]string{"--runtime", p.runtime, "--cgroup-manager", "cgroupfs"}, args...)
	cmd := exec.CommandContext(ctx, "podman", all...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+p.conf)
	// A podman exec cut short by its context is killed at once; its
	// process inside the container is left alone, as when kubelet stops
	// waiting for a hook.
	cmd.WaitDelay = time.Second
	return cmd
}

// Result is what a podman command did.
type Result struct {
	Code   int // exit code; -1 if it did not exit by itself
	Stdout string
	Stderr string
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
}

// Run runs `podman ARGS...` to the end and returns what it did. The error
// is only for a podman that could not be started or waited for.
func (p *Podman) Run(ctx context.Context, args ...string) (Result, error) {
	cmd := p.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Code: cmd.ProcessState.ExitCode(), Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return r, fmt.Errorf("podman %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

// Must runs `podman ARGS...` and returns its standard output, or an error
// naming the command and what it printed when it did not exit 0.
func (p *Podman) Must(ctx context.Context, args ...string) (string, error) {
	r, err := p.Run(ctx, args...)
	if err != nil {
		return "", err
	}
	if r.Code != 0 {
		return r.Stdout, fmt.Errorf("podman %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout, nil
}

// Image is the content of an image built without a registry: each file is
// copied from the host to its path in the image.
type Image struct {
	Files   map[string]string      // path in the image -> file on the host
	Trees   map[string]string      // path in the image -> folder on the host, copied whole
	Links   map[string]string      // path in the image -> symlink target
	Dirs    map[string]fs.FileMode // empty directories and their modes
	Changes []string               // Dockerfile instructions, such as "ENV PATH=/bin"
}

// Busybox returns an image holding a static busybox at /bin/busybox, with
// /bin/sh and the other applets named in applets linked to it, and a /tmp
// that every user can write to.
func Busybox(applets ...string) (Image, error) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return Image{}, errors.New("busybox: not installed (apt-get install busybox-static)")
	}
	if err := checkStatic(busybox); err != nil {
		return Image{}, err
	}
	img := Image{
		Files:   map[string]string{"bin/busybox": busybox},
		Links:   map[string]string{},
		Dirs:    map[string]fs.FileMode{"tmp": 0o1777},
		Changes: []string{"ENV PATH=/bin"},
	}
	for _, name := range append([]string{"sh"}, applets...) {
		img.Links["bin/"+name] = "busybox"
	}
	return img, nil
}

// checkStatic fails for a dynamically linked program: an image without a C
// library cannot run it.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; an image without a C library needs busybox-static (apt-get install busybox-static)", path)
		}
	}
	return nil
}

// Import builds the image and stores it as name, replacing any earlier one.
func (p *Podman) Import(ctx context.Context, name string, img Image) error {
	args := []string{"import", "--quiet"}
	for _, c := range img.Changes {
		args = append(args, "--change", c)
	}
	cmd := p.Command(ctx, append(args, "-", name)...)
	archive, w := io.Pipe()
	cmd.Stdin = archive
	go func() { w.CloseWithError(img.write(w)) }()
	out, err := cmd.CombinedOutput()
	archive.Close()
	if err != nil {
		return fmt.Errorf("podman import %s: %v: %s", name, err, out)
	}
	return nil
}

// write writes the image as a tar archive: directories first, then files
// and links, owned by root.
func (img Image) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	mkdirs := func(path string) error {
		var parents []string
		for d := filepath.Dir(path); d != "." && !dirs[d]; d = filepath.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755}); err != nil {
				return err
			}
		}
		return nil
	}
	for d, mode := range img.Dirs {
		if err := mkdirs(d); err != nil {
			return err
		}
		dirs[d] = true
		bits := int64(mode.Perm())
		if mode&fs.ModeSticky != 0 {
			bits |= 0o1000
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: bits}); err != nil {
			return err
		}
	}
	for path, src := range img.Files {
		if err := mkdirs(path); err != nil {
			return err
		}
		if err := writeFile(tw, path, src); err != nil {
			return err
		}
	}
	var copyTree func(dest, src string) error
	copyTree = func(dest, src string) error {
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			from, to := filepath.Join(src, e.Name()), filepath.Join(dest, e.Name())
			// Symbolic links are followed: a distribution's Go keeps parts
			// of its tree elsewhere (/usr/share), which the image lacks.
			info, err := os.Stat(from)
			if err != nil {
				return err
			}
			switch {
			case info.IsDir():
				err = copyTree(to, from)
			case info.Mode().IsRegular():
				if err = mkdirs(to); err == nil {
					err = writeFile(tw, to, from)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for root, src := range img.Trees {
		if err := copyTree(root, src); err != nil {
			return err
		}
	}
	for path, target := range img.Links {
		if err := mkdirs(path); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: path, Linkname: target, Mode: 0o777}); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeFile(tw *tar.Writer, path, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: int64(info.Mode().Perm()), Size: info.Size(), ModTime: info.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Sweep removes the containers, then the images, labelled key=VALUE for
// which remove(VALUE) is true, with the images built from them.
func (p *Podman) Sweep(ctx context.Context, key string, remove func(value string) bool) error {
	for _, kind := range [][]string{{"ps", "--all"}, {"images", "--all"}} {
		out, err := p.Must(ctx, append(kind, "--filter", "label="+key, "--format", `{{.ID}} {{index .Labels "`+key+`"}}`)...)
		if err != nil {
			return err
		}
		var ids []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if id, value, ok := strings.Cut(line, " "); ok && remove(value) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		rm := []string{"rm", "--force", "--time", "0"}
		if kind[0] == "images" {
			rm = []string{"rmi", "--force"}
		}
		if _, err := p.Must(ctx, append(rm, ids...)...); err != nil {
			return err
		}
	}
	return nil
}
