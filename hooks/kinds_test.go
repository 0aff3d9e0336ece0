package hooks

import (
	"strings"
	"testing"
	"time"
)

// Every kind is whole: named in its usage, runnable, and listed in the error
// for an unknown step.
func TestEveryKindIsComplete(t *testing.T) {
	_, err := ParseStep("nosuch")
	for _, k := range kinds {
		if !strings.HasPrefix(k.usage, k.name) || k.run == nil {
			t.Errorf("kind %q: usage %q, run set %v", k.name, k.usage, k.run != nil)
		}
		if err == nil || !strings.Contains(err.Error(), k.name) {
			t.Errorf("the unknown-step error %v does not name %q", err, k.name)
		}
	}
}

func TestWorstCase(t *testing.T) {
	for _, c := range []struct {
		step string
		want time.Duration
	}{
		{"sleep 10s", 10 * time.Second},
		{"sleep 10s --timeout 2s", 2 * time.Second},
		{"sleep 1s --timeout 2s", time.Second},
		{"sleep ${D}", Unbounded},
		{"sleep ${D} --timeout 3s", 3 * time.Second},
		{"signal TERM", 0},
		{"wait-exit", Unbounded},
		{"wait-exit --timeout 5s", 5 * time.Second},
		{"http PUT http://r/x --timeout 4s", 4 * time.Second},
		{"exec true", Unbounded},
	} {
		s, err := ParseStep(c.step)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.WorstCase(); got != c.want {
			t.Errorf("WorstCase(%q) = %v, want %v", c.step, got, c.want)
		}
	}
}
