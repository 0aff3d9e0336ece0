package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// notesHeading starts the part of the report file that is written by hand:
// what profiling found, beside the numbers. A run of -o replaces what comes
// before it and keeps it and everything after.
const notesHeading = "## Where the cost goes"

// writeReportFile writes the report to path, keeping path's notes. The new
// file replaces the old by rename(2), so a failed run leaves the old one.
func writeReportFile(path string, r *results) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var b bytes.Buffer
	printReport(&b, r)
	if n := notes(old); len(n) > 0 {
		b.WriteString("\n")
		b.Write(n)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".results-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails once renamed, as it should
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// notes is the part of a report file from the line that is notesHeading
// on, or nothing when there is no such line.
func notes(file []byte) []byte {
	for rest, at := file, 0; len(rest) > 0; {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		if string(line) == notesHeading {
			return file[at:]
		}
		at += len(line) + 1
		rest = next
	}
	return nil
}
