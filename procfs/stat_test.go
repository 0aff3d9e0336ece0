package procfs

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, c := range []struct {
		stat        string
		state, ppid string
		ok          bool
	}{
		{"7 (sleep) S 1 7 7 0 -1", "S", "1", true},
		{"12 (a b) c)) Z 7 12 12 0", "Z", "7", true},
		{"12 (x", "", "", false},
		{"12 (x) R", "", "", false},
	} {
		f, err := parseStat([]byte(c.stat), "/proc/12")
		if (err == nil) != c.ok {
			t.Errorf("parseStat(%q) error %v, want ok %v", c.stat, err, c.ok)
			continue
		}
		if c.ok && (f[0] != c.state || f[1] != c.ppid) {
			t.Errorf("parseStat(%q) = state %q ppid %q, want %q %q", c.stat, f[0], f[1], c.state, c.ppid)
		}
	}
}

func TestParentOfThisProcess(t *testing.T) {
	if ppid, ok := Parent(os.Getpid()); !ok || ppid != os.Getppid() {
		t.Fatalf("Parent(self) = %d, %v; want %d", ppid, ok, os.Getppid())
	}
}
