package hooks

import (
	"fmt"
	"strings"
	"time"

	"github.com/podinit/podinit/logsink"
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

// format words the event through the formatter of every podinit line.
func (e event) format(f Format) string {
	if f == "json" {
		return logsink.Line(true, e.time, string(e.phase), "", e.fields())
	}
	return logsink.Line(false, e.time, string(e.phase), e.words(), nil)
}

// words is the event as a text line, after the timestamp and "podinit".
func (e event) words() string {
	var b strings.Builder
	b.WriteString(string(e.phase))
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

// fields are the event's JSON fields, beside its time and phase.
func (e event) fields() map[string]any {
	m := map[string]any{"event": e.kind}
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
	return m
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
