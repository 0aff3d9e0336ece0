package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input gets one line on standard error naming the bad value and what was
// expected, exit code 2, and nothing is started: the command of every case
// would create a file, which must not exist afterwards.
func TestBadInputExits2WithOneLine(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     []string
		mention string // the bad value, as the message must name it
	}{
		{"unknown flag", []string{"--bogus"}, nil, "--bogus"},
		{"unknown short flag", []string{"-x"}, nil, "-x"},
		{"bad duration", []string{"--stop-timeout", "abc"}, nil, `"abc"`},
		{"negative timeout", []string{"--stop-timeout", "-1s"}, nil, `"-1s"`},
		{"negative grace period", []string{"--grace-period", "-5s"}, nil, `"-5s"`},
		{"duration without unit", []string{"--leftover-timeout", "10"}, nil, `"10"`},
		{"unknown stop signal", []string{"--stop-signal", "FOO"}, nil, `"FOO"`},
		{"unknown pdeath signal", []string{"--pdeath-signal", "SIGFOO"}, nil, `"SIGFOO"`},
		{"signal out of range", []string{"--pdeath-signal", "65"}, nil, `"65"`},
		{"rewrite without colon", []string{"--rewrite", "TERM"}, nil, `"TERM"`},
		{"rewrite unknown from", []string{"--rewrite", "FOO:TERM"}, nil, `"FOO"`},
		{"rewrite unknown to", []string{"-r", "TERM:BAR"}, nil, `"BAR"`},
		{"rewrite of KILL", []string{"-r", "KILL:TERM"}, nil, "SIGKILL"},
		{"remap exit too big", []string{"--remap-exit", "256"}, nil, `"256"`},
		{"remap exit not a number", []string{"-e", "x"}, nil, `"x"`},
		{"no command", []string{}, nil, "no command"},
		{"no command after --", []string{"-v", "--"}, nil, "no command"},
		{"empty command", []string{"--", ""}, nil, `command ""`},
		{"env bad duration", nil, []string{"PODINIT_STOP_TIMEOUT=abc"}, `PODINIT_STOP_TIMEOUT="abc"`},
		{"env bad rewrite", nil, []string{"PODINIT_REWRITE=TERM:QUIT,HUP"}, `"HUP"`},
		{"env bad exit code", nil, []string{"PODINIT_REMAP_EXIT=300"}, `"300"`},
		{"env bad bool", nil, []string{"PODINIT_SINGLE_CHILD=maybe"}, `PODINIT_SINGLE_CHILD="maybe"`},
		{"env bad signal", nil, []string{"PODINIT_STOP_SIGNAL=TERMINATE"}, `"TERMINATE"`},
		{"unknown step", []string{"--prestop", "slep 10s"}, nil, `"slep"`},
		{"bad step duration", []string{"--prestop", "sleep ten"}, nil, `"ten"`},
		{"bad step timeout", []string{"--poststart", "wait-tcp db:5432 --timeout soon"}, nil, `"soon"`},
		{"unknown step option", []string{"--prestop", "sleep 1s --retry 3"}, nil, `"--retry"`},
		{"step signal unknown", []string{"--prestop", "signal TERMINATE"}, nil, `"TERMINATE"`},
		{"step URL does not parse", []string{"--prestop", "http PUT registry:8761/x"}, nil, `"registry:8761/x"`},
		{"step URL password hidden", []string{"--prestop", "http PUT ftp://u:hunter2@r/x"}, nil, `"ftp://u:xxxxx@r/x"`},
		{"empty exec step", []string{"--poststop", "exec"}, nil, "no command"},
		{"bad drain port", []string{"--prestop", "wait-drain 99999"}, nil, `"99999"`},
		{"bad expect", []string{"--prestop", "http PUT http://r/ --expect maybe"}, nil, `"maybe"`},
		{"unterminated quote", []string{"--prestop", "exec sh -c 'echo"}, nil, "unterminated"},
		{"bad log format", []string{"--log-format", "xml"}, nil, `"xml"`},
		{"missing plan file", []string{"--plan", "/no/such/plan"}, nil, "/no/such/plan"},
		{"env bad step", nil, []string{"PODINIT_PRESTOP=sleep 1s;slep 2s"}, `PODINIT_PRESTOP: step "slep 2s"`},
		{"env bad plan", nil, []string{"PODINIT_PLAN=/no/such/plan"}, "/no/such/plan"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "started")
			args := c.args
			if c.name != "no command" && c.name != "no command after --" && c.name != "empty command" {
				args = append(append([]string{}, args...), "--", "touch", marker)
			}
			code, stdout, stderr := runToEnd(t, options{env: c.env}, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, c.mention) {
				t.Errorf("stderr %q: want one line naming %s", stderr, c.mention)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the command ran")
			}
		})
	}
}

// A plan file's bad line is named by file and line number.
func TestBadPlanFile(t *testing.T) {
	plan := filepath.Join(t.TempDir(), "plan")
	if err := os.WriteFile(plan, []byte("prestop: sleep 1s\n\nprestop: wait-drain eighty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runToEnd(t, options{}, "--plan", plan, "--", "true")
	if code != 2 || !strings.Contains(stderr, plan+":3:") || !strings.Contains(stderr, `"eighty"`) {
		t.Fatalf("exit %d, stderr %q: want 2 naming %s:3 and the bad port", code, stderr, plan)
	}
}

func TestBadHookAndPlanInput(t *testing.T) {
	cases := []struct {
		args    []string
		mention string
	}{
		{[]string{"hook"}, "no phase"},
		{[]string{"hook", "prestart"}, `"prestart"`},
		{[]string{"hook", "stop"}, `"stop"`},
		{[]string{"hook", "prestop", "slep 1s"}, `"slep"`},
		{[]string{"hook", "prestop", "--pid", "-3"}, "-3"},
		{[]string{"hook", "prestop", "--log-format", "yaml"}, `"yaml"`},
		{[]string{"plan", "--prestop", "sleep x"}, `"x"`},
		{[]string{"plan", "--prestop", "sleep 1s", "--", ""}, `command ""`},
		{[]string{"hook", "--check", "prestop", "signal TREM"}, `"TREM"`},
	}
	for _, c := range cases {
		code, _, stderr := runToEnd(t, options{}, c.args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.mention) {
			t.Errorf("podinit %q: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, stderr, c.mention)
		}
	}
}

func TestPlanStrictFailsOnWarnings(t *testing.T) {
	code, out, _ := runToEnd(t, options{}, "plan", "--strict", "--grace-period", "20s", "--prestop", "sleep 15s")
	if code != 1 || !strings.Contains(out, "warning: prestop's worst case 15s plus 10s for the app is 25s, more than the grace period of 20s") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	code, out, _ = runToEnd(t, options{}, "plan", "--strict", "--prestop", "http PUT http://r/ --timeout 2s", "--prestop", "sleep 10s")
	if code != 0 || !strings.Contains(out, "prestop (budget 20s): worst case 12s") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

// podinit plan takes an image's ENTRYPOINT and CMD as they are, so a CI job
// can check them with the parser that will run them.
func TestPlanTakesTheWholeCommandLine(t *testing.T) {
	code, out, stderr := runToEnd(t, options{}, "plan", "--strict", "--rewrite", "TERM:QUIT",
		"--prestop", "exec --timeout 5s nginx -s quit", "--", "nginx", "-g", "daemon off;")
	if code != 0 || !strings.Contains(out, "  1. exec --timeout 5s nginx -s quit") || !strings.Contains(out, "app: nginx -g 'daemon off;'\n") {
		t.Fatalf("exit %d, output %q, stderr %q", code, out, stderr)
	}
}

// hook --check parses a hook's command line and shows its steps without
// running them or reaching PID 1, which a manifest check can do anywhere.
func TestHookCheckRunsNothing(t *testing.T) {
	code, out, stderr := runToEnd(t, options{}, "hook", "--check", "prestop", "--pidof", "java", "signal TERM", "wait-exit --timeout 20s")
	if code != 0 || !strings.Contains(out, "1. signal TERM") || !strings.Contains(out, "2. wait-exit --timeout 20s") ||
		!strings.Contains(out, "aimed at the process named java") {
		t.Fatalf("exit %d, output %q, stderr %q", code, out, stderr)
	}
}

// The mistakes plan can see in the app's command line are warnings, and
// --strict is the command line's alone.
func TestPlanWarnsAboutTheCommandLine(t *testing.T) {
	code, out, _ := runToEnd(t, options{}, "plan", "--strict", "--", "--poststart", "sleep 1s", "--", "/app")
	if code != 1 || !strings.Contains(out, `warning: the app's command "--poststart" begins with '-'`) {
		t.Fatalf("flags after --: exit %d, output %q; want 1 and a warning", code, out)
	}
	code, out, _ = runToEnd(t, options{}, "plan", "nginx", "--strict")
	if code != 0 || !strings.Contains(out, "warning: --strict after the app's command") {
		t.Fatalf("--strict after the command: exit %d, output %q; want 0 and a warning", code, out)
	}
	code, out, _ = runToEnd(t, options{env: []string{"PODINIT_STRICT=true"}}, "plan", "--prestop", "exec nginx -s quit")
	if code != 0 || !strings.Contains(out, "warning: prestop has a step without --timeout") {
		t.Fatalf("PODINIT_STRICT: exit %d, output %q; want 0 and a warning", code, out)
	}
	code, out, _ = runToEnd(t, options{}, "plan", "--help")
	if code != 0 || !strings.Contains(out, "Usage: podinit plan") || !strings.Contains(out, "--strict") {
		t.Fatalf("plan --help: exit %d, output %q", code, out)
	}
}

// hook --check warns, and exits 1, when the hook's own steps do not fit its
// grace period.
func TestHookCheckWarnsAboutTheBudget(t *testing.T) {
	code, out, _ := runToEnd(t, options{}, "hook", "--check", "prestop", "signal TERM", "wait-exit --timeout 25s")
	if code != 1 || !strings.Contains(out, "warning: prestop's worst case 25s plus 10s for the app is 35s, more than the grace period of 30s") {
		t.Fatalf("exit %d, output %q; want 1 and a warning", code, out)
	}
	code, out, _ = runToEnd(t, options{}, "hook", "--check", "--grace-period", "40s", "prestop", "signal TERM", "wait-exit --timeout 25s")
	if code != 0 || !strings.Contains(out, "budget 30s (grace period 40s), worst case 25s") {
		t.Fatalf("exit %d, output %q; want 0", code, out)
	}
}

func TestHelpExits0(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, stdout, _ := runToEnd(t, options{}, args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("podinit %v: exit %d, stdout %q", args, code, stdout)
		}
	}
}
