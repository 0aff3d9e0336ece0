package signals

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Rewrite maps a received signal to the one the application gets. A signal
// mapped to 0 is dropped. Signals absent from the map pass through unchanged.
type Rewrite map[unix.Signal]unix.Signal

// Apply returns what sig becomes; 0 means "do not forward".
func (r Rewrite) Apply(sig unix.Signal) unix.Signal {
	if to, ok := r[sig]; ok {
		return to
	}
	return sig
}

// ParseRewrite reads one FROM:TO pair such as "TERM:QUIT", "15:3" or "HUP:0".
// FROM must be a signal an init can receive and forward; TO may be 0 to drop it.
func ParseRewrite(s string) (from, to unix.Signal, err error) {
	f, t, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("rewrite %q: expected FROM:TO, for example TERM:QUIT (TO 0 drops FROM)", s)
	}
	if from, err = Parse(f); err != nil {
		return 0, 0, fmt.Errorf("rewrite %q: %w", s, err)
	}
	if !Forwardable(from) {
		return 0, 0, fmt.Errorf("rewrite %q: %s is never forwarded, so it cannot be rewritten", s, Name(from))
	}
	if to, err = parse(t); err != nil {
		return 0, 0, fmt.Errorf("rewrite %q: %w", s, err)
	}
	return from, to, nil
}
