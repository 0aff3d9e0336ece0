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

func TestHelpExits0(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, stdout, _ := runToEnd(t, options{}, args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("podinit %v: exit %d, stdout %q", args, code, stdout)
		}
	}
}
