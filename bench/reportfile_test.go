package main

import "testing"

func TestNotesKeepsTheHandWrittenPart(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"no file", "", ""},
		{"no notes", "# report\n\n## Targets\n| a |\n", ""},
		{"notes after the report", "# report\n- x\n\n" + notesHeading + "\n\nfound\n", notesHeading + "\n\nfound\n"},
		{"notes alone", notesHeading + "\nfound", notesHeading + "\nfound"},
		{"the heading inside a line is not one", "# report\nsee " + notesHeading + "\n", ""},
		{"a longer heading is not the heading", notesHeading + " (old)\nx\n", ""},
	} {
		if got := string(notes([]byte(tc.file))); got != tc.want {
			t.Errorf("%s: notes(%q) = %q, want %q", tc.name, tc.file, got, tc.want)
		}
	}
}
