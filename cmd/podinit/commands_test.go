package main

import (
	"strings"
	"testing"
)

// The command table drives the help: every command a user may run has its
// line, and the phase process's hidden command has none.
func TestHelpListsEveryCommandOfTheTable(t *testing.T) {
	help := podinitHelp()
	for _, c := range commands {
		shown := strings.Contains(help, "  podinit "+c.name)
		if want := c.usage != ""; shown != want {
			t.Errorf("help shows %q: %v, want %v:\n%s", c.name, shown, want, help)
		}
		if c.usage != "" && !strings.Contains(help, c.summary) {
			t.Errorf("help lacks the summary of %q:\n%s", c.name, help)
		}
	}
}
