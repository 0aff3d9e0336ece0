package examples

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// podinitBinary is podinit built from this module: the examples are checked
// by the command line parser that will run them, as the containers call it.
var podinitBinary string

func TestMain(m *testing.M) {
	os.Exit(buildPodinitAndRun(m))
}

func buildPodinitAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "podinit-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	podinitBinary = filepath.Join(dir, "podinit")
	build := exec.Command("go", "build", "-o", podinitBinary, "./cmd/podinit")
	build.Dir = ".." // the module root; a test runs in its package's folder
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building podinit: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// TestExamples checks every example folder: its three files are there, and
// every podinit command line in its pod.yaml and Dockerfile is accepted by
// podinit, draws no warning from `podinit plan --strict`, and has the pod's
// grace period.
func TestExamples(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		t.Run(dir, func(t *testing.T) {
			r := checkExample(dir)
			if testing.Verbose() {
				for _, line := range r.passed {
					t.Log(line)
				}
			}
			for _, p := range r.problems {
				t.Error(p)
			}
		})
	}
}

// TestCheckerFindsMistakes gives the checker examples with one mistake
// each, made as a user would make it, and wants that mistake reported: a
// checker that passed everything would pass the examples too.
func TestCheckerFindsMistakes(t *testing.T) {
	const dockerfile = `# docker build -t registry.example.com/shop/app:1.0 .
FROM golang:1.26-bookworm AS podinit
ENV PODINIT_PRESTOP="not the app's image"
FROM alpine:3.20
COPY --from=podinit /out/podinit /podinit
ENV APP=shop \
    PODINIT_PRESTOP="sleep 5s"
ENTRYPOINT ["/podinit", \
  "--poststart", "wait-http http://127.0.0.1:8080/health --timeout 60s", \
  "--"]
CMD ["/app"]
`
	// The pod of that image, to which each case adds the container's lines.
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: shop
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: registry.example.com/shop/app:1.0
`
	tests := []struct {
		name       string
		pod        string
		dockerfile string // when not the one above
		omit       string // a file left out
		want       string // in a reported problem; "" for none
	}{
		{name: "no mistake", want: "",
			pod: pod + `    lifecycle:
      preStop: {exec: {command: ["/podinit", "hook", "prestop"]}}
`},
		{name: "misspelt step", want: `unknown step "slep"`,
			pod: pod + `    command: ["/podinit", "--prestop", "slep 10s", "--", "/app"]
`},
		{name: "prestop longer than the grace period allows", want: "prestop will be cut short",
			pod: pod + `    env: [{name: PODINIT_PRESTOP, value: "sleep 25s"}]
`},
		{name: "grace period not the pod's", want: "terminationGracePeriodSeconds is 30",
			pod: pod + `    env: [{name: PODINIT_GRACE_PERIOD, value: 60s}]
`},
		{name: "wait without a timeout", want: "has no --timeout",
			pod:        pod,
			dockerfile: strings.Replace(dockerfile, "/health --timeout 60s", "/health", 1)},
		{name: "hook for the other phase", want: "calls `podinit hook prestop`, but this hook is podinit's poststart",
			pod: pod + `    lifecycle:
      postStart: {exec: {command: ["/podinit", "hook", "prestop"]}}
`},
		{name: "hook steps PID 1 would not run", want: "would not run",
			pod: pod + `    lifecycle:
      preStop: {exec: {command: ["/podinit", "hook", "prestop", "sleep 5s"]}}
`},
		{name: "misspelt option in a stock image's hook", want: `unknown option "--timout"`,
			pod: strings.Replace(pod, "shop/app:1.0", "vendor/app:7", 1) + `    lifecycle:
      preStop: {exec: {command: ["/opt/podinit/podinit", "hook", "prestop", "signal TERM", "wait-exit --timout 25s"]}}
`},
		{name: "stock image's hook longer than its budget", want: "prestop will be cut short",
			pod: strings.Replace(pod, "shop/app:1.0", "vendor/app:7", 1) + `    lifecycle:
      preStop: {exec: {command: ["/opt/podinit/podinit", "hook", "prestop", "--pidof", "java", "signal TERM", "wait-exit --timeout 25s"]}}
`},
		{name: "no podinit in the pod", want: "no podinit command line",
			pod: strings.Replace(pod, "shop/app:1.0", "vendor/app:7", 1)},
		{name: "shell-form ENTRYPOINT", want: "/bin/sh -c",
			pod:        pod,
			dockerfile: strings.Replace(dockerfile, `CMD ["/app"]`, `ENTRYPOINT /podinit -- /app`, 1)},
		{name: "no README", want: "missing README.md",
			pod: pod, omit: "README.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"pod.yaml": tt.pod, "Dockerfile": dockerfile, "README.md": "# shop\n"}
			if tt.dockerfile != "" {
				files["Dockerfile"] = tt.dockerfile
			}
			delete(files, tt.omit)
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			problems := checkExample(dir).problems
			if tt.want == "" {
				if len(problems) > 0 {
					t.Errorf("want no problem, got:\n%s", strings.Join(problems, "\n"))
				}
				return
			}
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Errorf("want a problem containing %q, got:\n%s", tt.want, strings.Join(problems, "\n"))
		})
	}
}

// TestIndexListsEveryExample keeps examples/README.md in step with the
// folders.
func TestIndexListsEveryExample(t *testing.T) {
	index, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range exampleDirs(t) {
		if !strings.Contains(string(index), "]("+dir+"/)") {
			t.Errorf("README.md: no link to %s/", dir)
		}
	}
}

func exampleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no example folders")
	}
	return dirs
}

// The files every example has.
var exampleFiles = []string{"pod.yaml", "Dockerfile", "README.md"}

// report is what checking one example found: each podinit command line that
// passed, with what podinit printed, and each problem.
type report struct {
	passed   []string
	problems []string
}

func (r *report) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// checkExample checks the example in dir.
func checkExample(dir string) *report {
	r := &report{}
	for _, name := range exampleFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			r.problem("%s: missing %s: every example has %s", dir, name, strings.Join(exampleFiles, ", "))
		}
	}
	if len(r.problems) > 0 {
		return r
	}
	image, err := readDockerfile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		r.problem("%v", err)
		return r
	}
	r.checkImage(image)

	manifest := filepath.Join(dir, "pod.yaml")
	workloads, err := readWorkloads(manifest)
	if err != nil {
		r.problem("%v", err)
		return r
	}
	found := 0
	for i := range workloads {
		w := &workloads[i]
		for _, c := range w.podSpec().InitContainers {
			found += r.checkContainer(manifest, image, w, "initContainer", c)
		}
		for _, c := range w.podSpec().Containers {
			found += r.checkContainer(manifest, image, w, "container", c)
		}
	}
	if found == 0 {
		r.problem("%s: no podinit command line: no container runs podinit as PID 1 (by its command, or by the ENTRYPOINT of %s) and no lifecycle hook calls `podinit hook`",
			manifest, image.describe())
	}
	return r
}

// checkImage checks the Dockerfile's ENTRYPOINT and CMD as `docker run`
// starts them, with its ENV as the environment.
func (r *report) checkImage(img *dockerImage) {
	if img.tag == "" {
		r.problem("%s: no `# docker build -t IMAGE .` line: it names the image, so that pod.yaml's containers can be matched to it", img.file)
	}
	argv := append(slices.Clone(img.entrypoint), img.cmd...)
	switch {
	case len(img.entrypoint) == 0:
		r.problem("%s: no ENTRYPOINT in the last stage: podinit belongs there, so that it stays PID 1 whatever command the image is given", img.file)
	case img.entrypointShellForm:
		r.problem("%s: ENTRYPOINT is not a JSON array, so Docker runs it with /bin/sh -c and the shell, not podinit, is PID 1", img.file)
	case !isPodinit(argv[0]):
		r.problem("%s: ENTRYPOINT starts %s, not podinit", img.file, argv[0])
	default:
		r.checkPlan(img.file, img.env, argv[1:], 0)
	}
}

// checkContainer checks what a container runs as PID 1 and the exec hooks
// that call podinit, and returns how many podinit command lines it has.
func (r *report) checkContainer(manifest string, image *dockerImage, w *workload, role string, c container) int {
	where := fmt.Sprintf("%s: %s %s, %s %s", manifest, w.Kind, w.Metadata.Name, role, c.Name)
	// What Kubernetes runs: command replaces the image's ENTRYPOINT (and
	// drops its CMD), args replace CMD. The ENTRYPOINT, CMD and ENV of an
	// image other than the Dockerfile's are not known here.
	builtHere := c.Image == image.tag
	var argv, imageEnv []string
	switch {
	case len(c.Command) > 0:
		argv = append(slices.Clone(c.Command), c.Args...)
	case builtHere && len(c.Args) > 0:
		argv = append(slices.Clone(image.entrypoint), c.Args...)
	case builtHere:
		argv = append(slices.Clone(image.entrypoint), image.cmd...)
	}
	if builtHere {
		imageEnv = image.env
	}
	env := containerEnv(imageEnv, c)
	grace := w.podSpec().gracePeriod()

	found := 0
	pid1IsPodinit := len(argv) > 0 && isPodinit(argv[0])
	if pid1IsPodinit {
		found++
		r.checkPlan(where, env, argv[1:], grace)
	}
	hooks := []struct {
		name, phase string
		command     []string
	}{
		{"postStart", "poststart", c.Lifecycle.PostStart.Exec.Command},
		{"preStop", "prestop", c.Lifecycle.PreStop.Exec.Command},
	}
	for _, h := range hooks {
		if len(h.command) > 0 && isPodinit(h.command[0]) {
			found++
			r.checkHook(where+", "+h.name+" hook", env, h.command, h.phase, pid1IsPodinit, grace)
		}
	}
	return found
}

// planGrace is the grace period in the first line `podinit plan` prints.
var planGrace = regexp.MustCompile(`(?m)^grace period (\S+):`)

// checkPlan runs `podinit plan --strict` with the arguments podinit gets as
// PID 1, in the container's environment. When the command line belongs to
// a pod (podGrace > 0), podinit's grace period must be the pod's: podinit
// kills the app when its own runs out, and kubelet kills podinit when the
// pod's does.
func (r *report) checkPlan(where string, env, args []string, podGrace time.Duration) {
	stdout, ok := r.runPodinit(where, env, append([]string{"plan", "--strict"}, args...))
	if !ok || podGrace == 0 {
		return
	}
	m := planGrace.FindStringSubmatch(stdout)
	if m == nil {
		r.problem("%s: `podinit plan` printed no grace period:\n%s", where, stdout)
		return
	}
	if grace, err := time.ParseDuration(m[1]); err != nil || grace != podGrace {
		r.problem("%s: podinit's grace period is %s but the pod's terminationGracePeriodSeconds is %d: give podinit --grace-period %s or PODINIT_GRACE_PERIOD=%s",
			where, m[1], int(podGrace.Seconds()), podGrace, podGrace)
	}
}

// checkHook checks a lifecycle exec hook that calls podinit: `podinit hook
// --check` must accept it (its steps fit the grace period it is given), it
// must name kubelet's phase, and its steps must be where they run. When
// PID 1 is podinit, the hook joins PID 1's phase and steps given to the
// hook are not run; otherwise the hook runs its own steps, within the pod's
// grace period.
func (r *report) checkHook(where string, env, command []string, phase string, pid1IsPodinit bool, podGrace time.Duration) {
	if len(command) < 2 || command[1] != "hook" {
		r.problem("%s: %s runs podinit, but not as a hook: expected `podinit hook %s ...`", where, shellQuote(command), phase)
		return
	}
	out, ok := r.runPodinit(where, env, append([]string{"hook", "--check"}, command[2:]...))
	if !ok {
		return
	}
	h := hookCheck.FindStringSubmatch(out)
	if h == nil {
		r.problem("%s: podinit hook --check printed %q, which names no phase", where, out)
		return
	}
	hookPhase, steps := h[1], h[2]
	switch {
	case hookPhase != phase:
		r.problem("%s: calls `podinit hook %s`, but this hook is podinit's %s", where, hookPhase, phase)
	case pid1IsPodinit && steps != "0":
		r.problem("%s: PID 1 is podinit, so the hook joins PID 1's %s phase and its %s step(s) would not run: give them to PID 1 (--%s)",
			where, phase, steps, phase)
	case !pid1IsPodinit && steps == "0":
		r.problem("%s: PID 1 is not podinit, so the hook runs the steps it is given, and it has none", where)
	case !pid1IsPodinit:
		if m := hookGrace.FindStringSubmatch(out); m != nil {
			if grace, err := time.ParseDuration(m[1]); err != nil || grace != podGrace {
				r.problem("%s: the hook's grace period is %s but the pod's terminationGracePeriodSeconds is %d: give the hook --grace-period %s",
					where, m[1], int(podGrace.Seconds()), podGrace)
			}
		}
	}
}

// What `podinit hook --check` prints: the phase and how many steps the hook
// would run itself, and, for a phase with a budget, the grace period.
var (
	hookCheck = regexp.MustCompile(`^podinit hook (\S+): .* otherwise runs (\d+) step\(s\) itself`)
	hookGrace = regexp.MustCompile(`(?m)^  budget \S+ \(grace period (\S+)\)`)
)

// runPodinit runs podinit with exactly env as its environment: nothing of
// the test's own leaks in. A non-zero exit is a problem that names where the
// command line came from, the command line and what podinit said.
func (r *report) runPodinit(where string, env, args []string) (stdout string, ok bool) {
	cmd := exec.Command(podinitBinary, args...)
	cmd.Env = append([]string{}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	shown := podinitSettings(env) + "podinit " + shellQuote(args)
	if err := cmd.Run(); err != nil {
		r.problem("%s: %s: %v\n%s%s", where, shown, err, errOut.String(), warnings(out.String()))
		return out.String(), false
	}
	r.passed = append(r.passed, fmt.Sprintf("%s: %s\n%s", where, shown, out.String()))
	return out.String(), true
}

// podinitSettings shows the PODINIT_* variables of env as a shell prefix:
// the part of the environment podinit reads as settings.
func podinitSettings(env []string) string {
	var b strings.Builder
	for _, kv := range env {
		if strings.HasPrefix(kv, "PODINIT_") {
			b.WriteString(shellQuote([]string{kv}) + " ")
		}
	}
	return b.String()
}

// warnings are the lines `podinit plan` prints on standard output for the
// risks that make --strict exit 1.
func warnings(stdout string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stdout, "\n") {
		if strings.HasPrefix(line, "warning: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func isPodinit(program string) bool { return path.Base(program) == "podinit" }

// shellQuote shows a command line as a shell would take it back.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		plain := a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_./:=@%+,", r)
		})
		if plain {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// The Kubernetes objects, only as far as this check reads them.

// workload is one document of pod.yaml.
type workload struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Pod      podSpec `yaml:",inline"` // a Pod's
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"` // a Deployment's, and any other kind with a pod template
	} `yaml:"spec"`
}

func (w *workload) podSpec() *podSpec {
	if w.Kind == "Pod" {
		return &w.Spec.Pod
	}
	return &w.Spec.Template.Spec
}

type podSpec struct {
	TerminationGracePeriodSeconds *int        `yaml:"terminationGracePeriodSeconds"`
	InitContainers                []container `yaml:"initContainers"`
	Containers                    []container `yaml:"containers"`
}

// gracePeriod is the time kubelet gives the pod's containers to stop,
// Kubernetes' default of 30 s when the pod does not say.
func (p *podSpec) gracePeriod() time.Duration {
	if p.TerminationGracePeriodSeconds == nil {
		return 30 * time.Second
	}
	return time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	Lifecycle struct {
		PostStart hookHandler `yaml:"postStart"`
		PreStop   hookHandler `yaml:"preStop"`
	} `yaml:"lifecycle"`
}

type hookHandler struct {
	Exec struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

// readWorkloads reads every document of a manifest.
func readWorkloads(file string) ([]workload, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []workload
	for {
		var w workload
		err := dec.Decode(&w)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if w.Kind != "" {
			out = append(out, w)
		}
	}
}

// containerEnv is the environment a container's processes get: the image's
// ENV, overridden by the container's env. Values from a Secret, a ConfigMap
// or the pod's fields are not known here and stand as "x"; podinit expands
// ${VAR} in a step only when the step runs.
func containerEnv(imageEnv []string, c container) []string {
	env := slices.Clone(imageEnv)
	for _, e := range c.Env {
		value := e.Value
		if e.ValueFrom != nil {
			value = "x"
		}
		env = setEnv(env, e.Name, value)
	}
	return env
}

// setEnv sets name in env, in place of an earlier value.
func setEnv(env []string, name, value string) []string {
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return append(env, name+"="+value)
}

func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// The Dockerfile, only as far as this check reads it.

// dockerImage is what the last stage of a Dockerfile gives a container.
type dockerImage struct {
	file                string
	tag                 string   // from the Dockerfile's "# docker build -t IMAGE ." line
	env                 []string // NAME=VALUE, as its ENV lines set them
	entrypoint, cmd     []string
	entrypointShellForm bool
	cmdSet              bool
}

func (img *dockerImage) describe() string {
	if img.tag == "" {
		return img.file
	}
	return img.file + " (" + img.tag + ")"
}

// dockerBuildTag finds the image name in a comment such as
// "# docker build -t registry.example.com/shop/orders:1.4.2 .". A build
// with --target names another stage's image.
var dockerBuildTag = regexp.MustCompile(`^#\s*docker build\s.*(?:-t|--tag)[ =](\S+)`)

func readDockerfile(file string) (*dockerImage, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	img := &dockerImage{file: file}
	comments, instructions := dockerfileLines(string(data))
	for _, c := range comments {
		if m := dockerBuildTag.FindStringSubmatch(c); m != nil && !strings.Contains(c, "--target") {
			img.tag = m[1]
		}
	}
	for _, line := range instructions {
		keyword, arg := cutSpace(line)
		switch strings.ToUpper(keyword) {
		case "FROM":
			// A new stage: the image is its last one.
			*img = dockerImage{file: img.file, tag: img.tag}
		case "ENV":
			pairs, err := dockerEnv(arg, img.env)
			if err != nil {
				return nil, fmt.Errorf("%s: ENV %s: %w", file, arg, err)
			}
			for _, kv := range pairs {
				name, value, _ := strings.Cut(kv, "=")
				img.env = setEnv(img.env, name, value)
			}
		case "ENTRYPOINT":
			img.entrypoint, img.entrypointShellForm = execForm(arg)
			// Docker drops the CMD a stage inherits when it sets ENTRYPOINT.
			if !img.cmdSet {
				img.cmd = nil
			}
		case "CMD":
			img.cmd, _ = execForm(arg)
			img.cmdSet = true
		}
	}
	return img, nil
}

// dockerfileLines splits a Dockerfile into its comment lines and its
// instructions, each joined across `\` line continuations. As in Docker,
// comment and empty lines inside a continued instruction are skipped.
func dockerfileLines(text string) (comments, instructions []string) {
	var current strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			if current.Len() == 0 {
				comments = append(comments, trimmed)
			}
			continue
		}
		if body, continued := strings.CutSuffix(line, `\`); continued {
			current.WriteString(body)
			continue
		}
		current.WriteString(line)
		instructions = append(instructions, strings.TrimSpace(current.String()))
		current.Reset()
	}
	if current.Len() > 0 {
		instructions = append(instructions, strings.TrimSpace(current.String()))
	}
	return comments, instructions
}

// cutSpace splits s at its first run of whitespace.
func cutSpace(s string) (first, rest string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// execForm reads the argument of ENTRYPOINT or CMD as Docker does: a JSON
// array of strings is the command itself; anything else is the shell form,
// which Docker runs as /bin/sh -c.
func execForm(arg string) (argv []string, shellForm bool) {
	if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &argv) == nil {
		return argv, false
	}
	return []string{"/bin/sh", "-c", arg}, true
}

// dockerEnv reads the argument of an ENV instruction: NAME=VALUE pairs,
// quoted and escaped as in a shell, or the older "NAME VALUE" form. As
// Docker does at build time, $NAME and ${NAME} in a value are replaced by
// what the stage set before this instruction (nothing, when unset), unless
// written as \$ or inside single quotes.
func dockerEnv(arg string, stage []string) ([]string, error) {
	lookup := func(name string) string { return lookupEnv(stage, name) }
	name, value := cutSpace(arg)
	if !strings.Contains(name, "=") {
		words, err := dockerWords(value, lookup, true)
		if err != nil || len(words) == 0 {
			return nil, err
		}
		return []string{name + "=" + words[0]}, nil
	}
	pairs, err := dockerWords(arg, lookup, false)
	if err != nil {
		return nil, err
	}
	for _, kv := range pairs {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("%q: expected NAME=VALUE", kv)
		}
	}
	return pairs, nil
}

// dockerWords splits s into words as Docker's ENV does: whitespace separates
// words (unless keepSpaces), quotes group them, \ escapes the next character
// (inside double quotes only ", $ and \), and variables are replaced.
func dockerWords(s string, lookup func(string) string, keepSpaces bool) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				word.WriteRune(c)
			}
		case c == '\\' && i+1 < len(rs) && (quote == 0 || strings.ContainsRune(`"$\`, rs[i+1])):
			i++
			word.WriteRune(rs[i])
		case c == '$':
			value, n, err := expandVariable(rs[i+1:], lookup)
			if err != nil {
				return nil, err
			}
			word.WriteString(value)
			i += n
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				word.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote = c
		case unicode.IsSpace(c) && !keepSpaces:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
			continue
		default:
			word.WriteRune(c)
		}
		inWord = true
	}
	if quote != 0 {
		return nil, fmt.Errorf("%c quote not closed", quote)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}

// expandVariable reads the variable after a $ in rest: NAME or {NAME}. It
// returns its value and how many runes it took; a $ followed by neither is
// itself.
func expandVariable(rest []rune, lookup func(string) string) (value string, taken int, err error) {
	isNameRune := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	if len(rest) > 0 && rest[0] == '{' {
		end := slices.Index(rest, '}')
		if end < 0 {
			return "", 0, errors.New("${ not closed")
		}
		name := string(rest[1:end])
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !isNameRune(r) }) {
			return "", 0, fmt.Errorf("${%s}: only $NAME and ${NAME} are read here", name)
		}
		return lookup(name), end + 1, nil
	}
	n := 0
	for n < len(rest) && isNameRune(rest[n]) {
		n++
	}
	if n == 0 {
		return "$", 0, nil
	}
	return lookup(string(rest[:n])), n, nil
}
