package termination

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

func TestCap(t *testing.T) {
	short := "app exited with code 0\n"
	if Cap(short) != short {
		t.Errorf("Cap changed a short message")
	}
	lines := strings.Repeat("prestop: failed: "+strings.Repeat("x", 80)+"\n", 80) // 7.8 KB
	oneLine := strings.Repeat("é", 4000)                                          // 8 KB, no newline, 2-byte runes
	for name, msg := range map[string]string{"lines": lines, "one line": oneLine} {
		got := Cap(msg)
		if len(got) > MaxBytes || !strings.HasSuffix(got, cutMarker) || !utf8.ValidString(got) {
			t.Errorf("%s: Cap gave %d bytes ending %q", name, len(got), got[max(0, len(got)-40):])
		}
		if !strings.HasPrefix(msg, strings.TrimSuffix(strings.TrimSuffix(got, cutMarker), "\n")) {
			t.Errorf("%s: Cap's message is not the start of the original", name)
		}
	}
	if got := Cap(lines); strings.Count(got, "\n") != strings.Count(strings.TrimSuffix(got, cutMarker), "prestop")+1 {
		t.Errorf("lines: cut inside a line:\n%s", got)
	}
}

func TestWriteSkipsAFIFOWithoutReader(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "termination-log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Write(fifo, "app exited with code 0\n")
	if err == nil || !strings.Contains(err.Error(), "a FIFO no process reads") {
		t.Fatalf("Write to a FIFO without reader: %v", err)
	}
}

func TestWriteNeverCreatesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "termination-log")
	if err := Write(path, "x\n"); err == nil {
		t.Fatal("Write created the file")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the file exists")
	}
	if err := os.WriteFile(path, []byte("old message that is longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Fatalf("file holds %q, want the new message alone", b)
	}
}
