package main

import (
	"fmt"
	"time"

	"github.com/podinit/podinit/logsink"
)

// fdWriter writes straight to a file descriptor. PID 1 must not use os.Stdout
// for its log: a write to a closed pipe on os.Stdout or os.Stderr makes the
// Go runtime die of SIGPIPE, and a dead PID 1 takes the container with it.
// Here a closed pipe is an error that is ignored. It is for what podinit
// prints before supervision starts (usage, help, errors in the command line)
// and for the other commands; a supervising podinit logs through its sink.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) { return logsink.WriteFull(int(w), p) }

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

var levelNames = [...]string{levelError: "error", levelInfo: "info", levelDebug: "debug"}

// logFlushTimeout bounds how long podinit, about to exit, waits for its
// last lines to reach a slow or stalled stdout: the app's exit code is
// worth more than the lines.
const logFlushTimeout = 500 * time.Millisecond

// newSink starts the log sink of a supervising podinit; notice words its
// line about lines lost to a full queue, written to fd.
func newSink(fd int, notice func(n int) string) *logsink.Sink {
	return logsink.New(logsink.DefaultLines, logsink.DefaultBytes, fd, notice)
}

// closeSink writes what it can of the lines still queued, within
// logFlushTimeout.
func closeSink(sink *logsink.Sink) {
	if sink != nil {
		sink.Close(logFlushTimeout)
	}
}

// emit hands line to sink for fd, or writes it at once where there is no
// sink yet (before supervision starts).
func emit(sink *logsink.Sink, fd int, line string) {
	if sink == nil {
		_, _ = fdWriter(fd).Write([]byte(line + "\n"))
		return
	}
	sink.Write(fd, line)
}

// logger writes podinit's lines: a UTC timestamp, "podinit", the message;
// with json, one JSON object a line, as the progress lines are.
type logger struct {
	level int
	json  bool
	now   func() time.Time
	sink  *logsink.Sink
}

// newLogger starts podinit's logger and its sink.
func newLogger(level int, json bool) *logger {
	l := &logger{level: level, json: json, now: time.Now}
	l.sink = newSink(1, l.droppedNotice)
	return l
}

func (l *logger) enabled(level int) bool { return level <= l.level }

func (l *logger) logf(level int, format string, args ...any) {
	if !l.enabled(level) {
		return
	}
	fd := 1
	if level == levelError {
		fd = 2
	}
	emit(l.sink, fd, l.line(level, fmt.Sprintf(format, args...)))
}

// progress relays a phase's progress line, already in the log format.
func (l *logger) progress(line string) { emit(l.sink, 1, line) }

// line words one of podinit's own lines, through the formatter the phases'
// progress lines use too.
func (l *logger) line(level int, msg string) string {
	var fields map[string]any
	if l.json {
		fields = map[string]any{"level": levelNames[level], "text": msg}
	}
	return logsink.Line(l.json, l.now(), "supervisor", msg, fields)
}

func (l *logger) droppedNotice(n int) string {
	return l.line(levelError, fmt.Sprintf("%d log lines dropped", n))
}

// close writes what it can of the lines still queued, within logFlushTimeout.
func (l *logger) close() { closeSink(l.sink) }
