package hooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSplitWords(t *testing.T) {
	cases := map[string][]string{
		`http PUT http://x/`:           {"http", "PUT", "http://x/"},
		`exec sh -c 'echo a; echo b'`:  {"exec", "sh", "-c", "echo a; echo b"},
		`exec echo "a \"b\" c"`:        {"exec", "echo", `a "b" c`},
		`exec echo a\ b`:               {"exec", "echo", "a b"},
		"  sleep \t 1s  ":              {"sleep", "1s"},
		`http --data '{"a": 1}' POST`:  {"http", "--data", `{"a": 1}`, "POST"},
		`exec echo ''`:                 {"exec", "echo", ""},
		`exec echo "it's"`:             {"exec", "echo", "it's"},
		`exec printf '%s\n' "${HOME}"`: {"exec", "printf", `%s\n`, "${HOME}"},
	}
	for in, want := range cases {
		got, err := splitWords(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`exec echo 'open`, `exec echo "open`} {
		if _, err := splitWords(in); err == nil {
			t.Errorf("splitWords(%q) accepted an unterminated quote", in)
		}
	}
}

func TestSplitSteps(t *testing.T) {
	got := splitSteps("http PUT http://x/?a=1;b=2 ; sleep 10s\nexec sh -c 'a; b'; ")
	want := []string{"http PUT http://x/?a=1", "b=2", "sleep 10s", "exec sh -c 'a; b'"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitSteps = %q, want %q", got, want)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"APP": "demo", "HOST": "h1", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := map[string]string{
		"/apps/${APP}/${HOST}": "/apps/demo/h1",
		"pa$$word$x":           "pa$$word$x",
		"${EMPTY}x":            "x",
		"none":                 "none",
	}
	for in, want := range cases {
		if got, err := expand(in, lookup); err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${MISSING}", "${1X}", "${A-B}", "${open"} {
		if _, err := expand(in, lookup); err == nil {
			t.Errorf("expand(%q) succeeded", in)
		}
	}
}

func TestParseStep(t *testing.T) {
	cases := []struct {
		in   string
		kind string
		args []string
		chk  func(Step) bool
	}{
		{"http PUT http://r:8761/apps/${APP}/status?value=UP", "http", []string{"http://r:8761/apps/${APP}/status?value=UP"},
			func(s Step) bool { return s.Method == "PUT" }},
		{"http http://r/", "http", []string{"http://r/"}, func(s Step) bool { return s.Method == "GET" }},
		{"http post http://r/ --data x -H 'X-A: 1' --expect 2xx,404", "http", []string{"http://r/"},
			func(s Step) bool {
				return s.Method == "POST" && s.Data == "x" && s.accepts(204) && s.accepts(404) && !s.accepts(500)
			}},
		{"sleep 10s", "sleep", []string{"10s"}, nil},
		{"sleep 10s --timeout 1s --optional", "sleep", []string{"10s"}, func(s Step) bool { return s.Optional && s.Timeout == time.Second }},
		{"exec --timeout 5s nginx -s quit --timeout x", "exec", []string{"nginx", "-s", "quit", "--timeout", "x"},
			func(s Step) bool { return s.Timeout == 5*time.Second }},
		{"wait-tcp db:5432", "wait-tcp", []string{"db:5432"}, nil},
		{"wait-tcp [::1]:80", "wait-tcp", []string{"[::1]:80"}, nil},
		{"wait-http http://127.0.0.1:8080/health --timeout 60s", "wait-http", []string{"http://127.0.0.1:8080/health"}, nil},
		{"wait-drain 8080", "wait-drain", []string{"8080"}, nil},
		{"signal TERM", "signal", []string{"TERM"}, nil},
		{"signal ${STOPSIG}", "signal", []string{"${STOPSIG}"}, nil},
		{"wait-http http://127.0.0.1:${PORT}/health", "wait-http", []string{"http://127.0.0.1:${PORT}/health"}, nil},
		{"http PUT ${REGISTRY}/eureka/apps/${APP}", "http", []string{"${REGISTRY}/eureka/apps/${APP}"}, nil},
		{"http PUT http://${USER}:${PASSWORD}@${HOST}:${PORT}/", "http", []string{"http://${USER}:${PASSWORD}@${HOST}:${PORT}/"}, nil},
		{"wait-exit", "wait-exit", nil, nil},
	}
	for _, c := range cases {
		s, err := ParseStep(c.in)
		if err != nil {
			t.Errorf("ParseStep(%q): %v", c.in, err)
			continue
		}
		if s.Kind != c.kind || strings.Join(s.Args, "|") != strings.Join(c.args, "|") || (c.chk != nil && !c.chk(s)) {
			t.Errorf("ParseStep(%q) = %+v", c.in, s)
		}
	}
}

// Every bad step is refused with a message naming the bad value.
func TestParseStepRejects(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty",
		"slep 1s":                             `"slep"`,
		"sleep":                               "expected 1 argument",
		"sleep ten":                           `"ten"`,
		"sleep -1s":                           `"-1s"`,
		"sleep 1s 2s":                         "expected 1 argument",
		"sleep 1s --timeout x":                `"x"`,
		"sleep 1s --timeout":                  "--timeout needs a value",
		"sleep 1s --bogus":                    `"--bogus"`,
		"exec":                                "no command",
		"exec --timeout 1s":                   "no command",
		"http":                                "expected 1 argument",
		"http PUT":                            `URL "PUT"`,
		"http PUT ftp://x/":                   `"ftp://x/"`,
		"http PUT http://":                    `"http://"`,
		"http PUT http://x/ extra":            "expected 1 argument",
		"http put1 http://x/":                 `"PUT1"`,
		"http PUT http://x/ --header nocolon": `"nocolon"`,
		"http PUT http://x/ --expect 700":     `"700"`,
		"http PUT http://x/ --expect ok":      `"ok"`,
		"http PUT http://u:secret@x y/":       "expected 1 argument",
		"wait-tcp db":                         `"db"`,
		"wait-tcp db:http":                    `"http"`,
		"wait-tcp :80":                        `":80"`,
		"wait-drain 0":                        `"0"`,
		"wait-drain 70000":                    `"70000"`,
		"signal FOO":                          `"FOO"`,
		"signal":                              "expected 1 argument",
		"wait-exit now":                       "expected 0 argument",
		"sleep 1s --data x":                   "belong to http steps",
		"exec echo 'open":                     "unterminated",
		"http GET http://x/${BAD-NAME}":       "BAD-NAME",
		"wait-http ftp://${HOST}/":            `"ftp://${HOST}/"`,
		"wait-http registry:${PORT}/health":   `"registry:${PORT}/health"`,
	}
	for in, mention := range cases {
		_, err := ParseStep(in)
		if err == nil {
			t.Errorf("ParseStep(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), mention) {
			t.Errorf("ParseStep(%q) = %q; want it to mention %s", in, err, mention)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseStep(%q) leaks the password: %q", in, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	s, err := ParseStep("http PUT http://eureka:s3cret@registry:8761/eureka/apps/${APP}/h1/status?value=OUT_OF_SERVICE")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Redacted()
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "eureka:xxxxx@registry:8761/eureka/apps/${APP}/h1") {
		t.Fatalf("Redacted() = %q", got)
	}
}

func TestPlanFileAndBudget(t *testing.T) {
	p := NewPlan(30*time.Second, 0)
	text := "# deregister, then let endpoints drain\nprestop: http PUT http://r/down --timeout 5s\n\nprestop: sleep 10s\npoststart: wait-http http://127.0.0.1/health\n"
	if err := p.ReadPlanFile(strings.NewReader(text), "plan"); err != nil {
		t.Fatal(err)
	}
	if len(p.Steps[Prestop]) != 2 || len(p.Steps[Poststart]) != 1 {
		t.Fatalf("steps %+v", p.Steps)
	}
	if b := p.Budget(Prestop); b != 20*time.Second {
		t.Errorf("prestop budget %s, want 30s less the 10s kept for the app", b)
	}
	if w := p.WorstCase(Prestop); w != 15*time.Second {
		t.Errorf("prestop worst case %s, want 15s", w)
	}
	if w := p.WorstCase(Poststart); w != Unbounded {
		t.Errorf("poststart worst case %s, want unbounded", w)
	}
	p.StopTimeout = 25 * time.Second
	if b := p.Budget(Prestop); b != 5*time.Second {
		t.Errorf("with --stop-timeout 25s the prestop budget is %s, want 5s", b)
	}
	if w := p.WorstCase(Prestop); w != 5*time.Second {
		t.Errorf("worst case %s, want the 5s budget", w)
	}
	for _, bad := range []string{"prestop sleep 1s", "prestp: sleep 1s", "prestop: slep 1s"} {
		err := NewPlan(0, 0).ReadPlanFile(strings.NewReader(bad), "plan")
		if err == nil || !strings.Contains(err.Error(), "plan:1:") {
			t.Errorf("plan %q: error %v, want one naming plan:1", bad, err)
		}
	}
}

func TestCountEstablished(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:D432 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
`
	path := filepath.Join(t.TempDir(), "tcp")
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	// Port 8080 (1F90): one accepted connection; the listener, the client's
	// own end and the TIME_WAIT one do not count.
	if n, err := countEstablished(path, 8080); err != nil || n != 1 {
		t.Fatalf("countEstablished = %d, %v; want 1", n, err)
	}
}

func TestRunPhaseReportsAndCuts(t *testing.T) {
	var lines []string
	r := &Runner{Emit: func(l string) { lines = append(lines, l) }}
	steps := []Step{mustStep(t, "sleep 10ms"), mustStep(t, "exec --optional false"), mustStep(t, "sleep 10s")}
	err := r.RunPhase(context.Background(), Prestop, steps, 300*time.Millisecond, time.Now())
	var pe *PhaseError
	if err == nil || !errors.As(err, &pe) || !pe.Cut || pe.Step != 3 {
		t.Fatalf("RunPhase = %v, want step 3 cut short by the 300ms budget", err)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"prestop: 3 step(s), 300ms budget", "prestop 1/3 ok in", "prestop 2/3 failed (optional, going on)",
		"prestop 3/3 cut short after", "podinit prestop cut short"} {
		if !strings.Contains(all, want) {
			t.Errorf("progress lacks %q:\n%s", want, all)
		}
	}
}

func TestRunPhaseJSON(t *testing.T) {
	var lines []string
	r := &Runner{Format: "json", Emit: func(l string) { lines = append(lines, l) }}
	if err := r.RunPhase(context.Background(), Poststop, []Step{mustStep(t, "exec echo hi")}, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{`"podinit":"poststop"`, `"event":"start"`, `"event":"output"`, `"text":"hi"`, `"event":"ok"`} {
		if !strings.Contains(all, want) {
			t.Errorf("json progress lacks %s:\n%s", want, all)
		}
	}
}

func mustStep(t *testing.T, s string) Step {
	t.Helper()
	step, err := ParseStep(s)
	if err != nil {
		t.Fatal(err)
	}
	return step
}
