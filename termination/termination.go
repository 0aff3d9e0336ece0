// Package termination writes the termination message: the few lines that
// Kubernetes shows as the container's last state (its terminationMessagePath,
// /dev/termination-log by default).
package termination

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unicode/utf8"
)

// MaxBytes is the most of the file kubelet reads.
const MaxBytes = 4096

// cutMarker ends a message that was cut to fit.
const cutMarker = "[message cut at 4096 bytes]\n"

// Cap returns msg cut to at most MaxBytes, marked: at the end of a line
// when one ends in the part kept, else at the end of a character.
func Cap(msg string) string {
	if len(msg) <= MaxBytes {
		return msg
	}
	keep := msg[:MaxBytes-len(cutMarker)-1] // room for a newline
	if i := strings.LastIndexByte(keep, '\n'); i >= 0 {
		keep = keep[:i+1]
	} else {
		for !utf8.ValidString(keep) {
			keep = keep[:len(keep)-1]
		}
		keep += "\n"
	}
	return keep + cutMarker
}

// Write writes msg, capped, to path, which must exist: it is never created.
// The file is opened without blocking, so a FIFO that no process reads is
// skipped with an error rather than hold the caller (podinit's exit) forever.
func Write(path, msg string) error {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_TRUNC|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("termination log %s: a FIFO no process reads: message not written", path)
	}
	if err != nil {
		return fmt.Errorf("termination log %s: %w", path, err)
	}
	defer syscall.Close(fd)
	b := []byte(Cap(msg))
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return fmt.Errorf("termination log %s: its reader is not reading: message cut short", path)
		}
		if err != nil {
			return fmt.Errorf("termination log %s: %w", path, err)
		}
		b = b[n:]
	}
	return nil
}
