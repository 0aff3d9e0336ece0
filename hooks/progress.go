package hooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Format is how progress lines are written: "text" or "json".
type Format string

// ParseFormat reads a --log-format value.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text", "json":
		return Format(s), nil
	}
	return "", fmt.Errorf("log format %q: expected text or json", s)
}

// event is one progress line before it is formatted.
type event struct {
	time   time.Time
	phase  Phase
	step   int // 1-based; 0 for the phase itself
	steps  int
	kind   string // start, ok, failed, warning, cut, output
	text   string // the step as written (redacted), or the phase summary
	took   time.Duration
	left   time.Duration // -1 when the phase has no budget
	detail string
}

func (e event) format(f Format) string {
	if f == "json" {
		return e.json()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s podinit %s", e.time.UTC().Format("2006-01-02T15:04:05.000Z"), e.phase)
	if e.step > 0 {
		fmt.Fprintf(&b, " %d/%d", e.step, e.steps)
	}
	switch e.kind {
	case "start":
		if e.step > 0 {
			fmt.Fprintf(&b, " %s ...", e.text)
		} else {
			fmt.Fprintf(&b, ": %s", e.text)
		}
		return b.String()
	case "output":
		fmt.Fprintf(&b, " | %s", e.text)
		return b.String()
	case "ok":
		fmt.Fprintf(&b, " ok in %s", round(e.took))
	case "failed":
		fmt.Fprintf(&b, " failed in %s", round(e.took))
	case "warning":
		fmt.Fprintf(&b, " failed (optional, going on) in %s", round(e.took))
	case "cut":
		fmt.Fprintf(&b, " cut short after %s", round(e.took))
	}
	if e.detail != "" {
		fmt.Fprintf(&b, " (%s)", e.detail)
	}
	if e.left >= 0 {
		fmt.Fprintf(&b, ", %s left", round(e.left))
	}
	return b.String()
}

func (e event) json() string {
	m := map[string]any{
		"time":    e.time.UTC().Format(time.RFC3339Nano),
		"podinit": string(e.phase),
		"event":   e.kind,
	}
	if e.step > 0 {
		m["step"], m["steps"] = e.step, e.steps
	}
	if e.text != "" {
		m["text"] = e.text
	}
	if e.kind != "start" && e.kind != "output" {
		m["seconds"] = e.took.Seconds()
	}
	if e.left >= 0 && e.kind != "output" {
		m["left_seconds"] = e.left.Seconds()
	}
	if e.detail != "" {
		m["detail"] = e.detail
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// round keeps durations readable: 41ms, 1.52s, 44.9s.
func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < 10*time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
