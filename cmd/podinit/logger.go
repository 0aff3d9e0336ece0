package main

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// fdWriter writes straight to a file descriptor. PID 1 must not use os.Stdout
// for its log: a write to a closed pipe on os.Stdout or os.Stderr makes the
// Go runtime die of SIGPIPE, and a dead PID 1 takes the container with it.
// Here a closed pipe is an error that is ignored.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

const (
	stdout = fdWriter(1)
	stderr = fdWriter(2)
)

// Log levels of podinit's own persona.
const (
	levelError = iota
	levelInfo
	levelDebug
)

// logger writes podinit's lines: a UTC timestamp, "podinit", the message.
type logger struct {
	level int
	now   func() time.Time
}

func (l *logger) logf(level int, format string, args ...any) {
	if level > l.level {
		return
	}
	w := stdout
	if level == levelError {
		w = stderr
	}
	ts := l.now().UTC().Format("2006-01-02T15:04:05.000Z")
	fmt.Fprintf(w, "%s podinit %s\n", ts, fmt.Sprintf(format, args...))
}
