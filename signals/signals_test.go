package signals

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want unix.Signal
	}{
		{"TERM", unix.SIGTERM}, {"SIGTERM", unix.SIGTERM}, {"term", unix.SIGTERM}, {"sigterm", unix.SIGTERM},
		{"15", unix.SIGTERM}, {"1", unix.SIGHUP}, {"64", 64}, {"KILL", unix.SIGKILL},
		{"IOT", unix.SIGABRT}, {"POLL", unix.SIGIO}, {"CLD", unix.SIGCHLD}, {"WINCH", unix.SIGWINCH},
		{"RTMIN", 34}, {"SIGRTMIN", 34}, {"RTMIN+1", 35}, {"SIGRTMIN+30", 64},
		{"RTMAX", 64}, {"RTMAX-1", 63}, {"RTMAX-30", 34},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "0", "65", "-1", "FOO", "SIG", "RTMIN+31", "RTMAX+1", "RTMIN-1", "RTMIN+", "TERM ", "1.5"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) || !strings.Contains(err.Error(), "expected") {
			t.Errorf("Parse(%q) error %q does not name the value and what was expected", in, err)
		}
	}
}

func TestNameRoundTrips(t *testing.T) {
	for sig := unix.Signal(1); sig <= RTMax; sig++ {
		name := Name(sig)
		if sig == 32 || sig == 33 {
			if name != "signal 32" && name != "signal 33" {
				t.Errorf("Name(%d) = %q", sig, name)
			}
			continue
		}
		back, err := Parse(name)
		if err != nil || back != sig {
			t.Errorf("Parse(Name(%d) = %q) = %d, %v", sig, name, back, err)
		}
	}
}

func TestForwardable(t *testing.T) {
	never := map[unix.Signal]bool{
		unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGCHLD: true,
	}
	count := 0
	for sig := unix.Signal(1); sig <= RTMax; sig++ {
		if Forwardable(sig) == never[sig] {
			t.Errorf("Forwardable(%s) = %v", Name(sig), Forwardable(sig))
		}
		if Forwardable(sig) {
			count++
		}
	}
	if count != 64-len(never) {
		t.Errorf("%d forwardable signals, want %d", count, 64-len(never))
	}
	if Forwardable(0) || Forwardable(65) {
		t.Error("0 and 65 are not signals")
	}
}

func TestRuntimeNeeds(t *testing.T) {
	needs := map[unix.Signal]bool{
		unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGABRT: true, unix.SIGBUS: true,
		unix.SIGFPE: true, unix.SIGSEGV: true, unix.SIGSYS: true, unix.SIGURG: true, 33: true,
	}
	for sig := unix.Signal(1); sig <= RTMax; sig++ {
		if RuntimeNeeds(sig) != needs[sig] {
			t.Errorf("RuntimeNeeds(%s) = %v", Name(sig), RuntimeNeeds(sig))
		}
		if RuntimeNeeds(sig) && !Forwardable(sig) {
			t.Errorf("%s: the runtime needs it from podinit itself, yet another process's is not forwarded", Name(sig))
		}
	}
}

func TestParseRewrite(t *testing.T) {
	cases := []struct {
		in       string
		from, to unix.Signal
	}{
		{"TERM:QUIT", unix.SIGTERM, unix.SIGQUIT}, {"15:3", unix.SIGTERM, unix.SIGQUIT},
		{"HUP:0", unix.SIGHUP, 0}, {"SIGWINCH:SIGTERM", unix.SIGWINCH, unix.SIGTERM},
		{"RTMIN+1:KILL", 35, unix.SIGKILL},
	}
	for _, c := range cases {
		from, to, err := ParseRewrite(c.in)
		if err != nil || from != c.from || to != c.to {
			t.Errorf("ParseRewrite(%q) = %d, %d, %v; want %d, %d", c.in, from, to, err, c.from, c.to)
		}
	}
	for _, in := range []string{"TERM", "TERM:", ":TERM", "FOO:TERM", "TERM:FOO", "KILL:TERM", "CHLD:TERM", "0:TERM", "TERM:65"} {
		if _, _, err := ParseRewrite(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseRewrite(%q): error %v, want one naming the input", in, err)
		}
	}
}

func TestRewriteApply(t *testing.T) {
	r := Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGHUP: 0}
	if r.Apply(unix.SIGTERM) != unix.SIGQUIT || r.Apply(unix.SIGHUP) != 0 || r.Apply(unix.SIGUSR1) != unix.SIGUSR1 {
		t.Error("Rewrite.Apply")
	}
	var none Rewrite
	if none.Apply(unix.SIGTERM) != unix.SIGTERM {
		t.Error("a nil Rewrite changes signals")
	}
}

func TestExitCode(t *testing.T) {
	for code := 0; code <= 255; code++ {
		if got := ExitCode(unix.WaitStatus(code << 8)); got != code {
			t.Errorf("exit %d: ExitCode = %d", code, got)
		}
	}
	for sig := 1; sig <= 64; sig++ {
		if got := ExitCode(unix.WaitStatus(sig)); got != (128+sig)%256 {
			t.Errorf("signal %d: ExitCode = %d", sig, got)
		}
	}
	if got := ExitCode(unix.WaitStatus(unix.SIGSEGV | 0x80)); got != 139 {
		t.Errorf("SIGSEGV with core dump: ExitCode = %d, want 139", got)
	}
	remap := ExitRemap{143: true}
	if remap.Apply(143) != 0 || remap.Apply(1) != 1 {
		t.Error("ExitRemap.Apply")
	}
}

func TestDescription(t *testing.T) {
	for sig, want := range map[unix.Signal]string{
		unix.SIGTERM: "Terminated", unix.SIGUSR1: "User defined signal 1", 34: "Real-time signal 0", 40: "Real-time signal 6",
	} {
		if got := Description(sig); got != want {
			t.Errorf("Description(%d) = %q, want %q", sig, got, want)
		}
	}
}

func TestSenderDescribe(t *testing.T) {
	for _, tt := range []struct {
		s    Sender
		comm string
		want string
	}{
		{Sender{PID: 57}, "sh", "from pid 57 (sh)"},
		{Sender{PID: 57, Code: -1}, "", "from pid 57"},
		{Sender{PID: 0}, "", "from outside the PID namespace"},
		{Sender{Code: 0x80}, "", "from the kernel"},
		{Sender{PID: 9, Code: 1}, "x", "from the kernel"},
	} {
		if got := tt.s.Describe(tt.comm); got != tt.want {
			t.Errorf("%+v.Describe(%q) = %q, want %q", tt.s, tt.comm, got, tt.want)
		}
	}
}
