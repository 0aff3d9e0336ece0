package hooks

import (
	"strings"
	"testing"
)

// The parsers take text from users and images: whatever they are given, they
// return a step or an error, and a step they return parses again the same.
func FuzzParseStep(f *testing.F) {
	for _, seed := range []string{
		"http PUT http://u:p@r:8761/apps/${APP}/status?value=UP --timeout 5s",
		"exec sh -c 'echo a; echo \"b\"'", "sleep 10s --optional", "wait-tcp [::1]:80",
		"wait-drain 8080", "signal RTMIN+3", "wait-exit", "http --expect 2xx,404 -H a:b --data '{}' POST https://x/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseStep(text)
		if err != nil {
			return
		}
		again, err := ParseStep(s.Text)
		if err != nil || again.Kind != s.Kind || strings.Join(again.Args, "\x00") != strings.Join(s.Args, "\x00") {
			t.Fatalf("%q parsed as %+v, then as %+v, %v", text, s, again, err)
		}
		_ = s.Redacted()
		_ = s.WorstCase()
	})
}

func FuzzReadPlanFile(f *testing.F) {
	f.Add("prestop: sleep 10s\n# c\npoststart: wait-http http://x/ --timeout 1m\n")
	f.Add("prestart: wait-tcp db:5432\npoststop: exec rm -rf /tmp/x")
	f.Fuzz(func(t *testing.T, text string) {
		p := NewPlan(0, 0)
		if err := p.ReadPlanFile(strings.NewReader(text), "plan"); err != nil {
			return
		}
		for _, phase := range Phases {
			_ = p.WorstCase(phase)
		}
	})
}
