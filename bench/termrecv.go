package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SIGTERM needs a receiver of its own. The Go runtime unblocks SIGTERM on
// every thread it starts (runtime.blockableSig: a signal whose default is to
// end the program must not wait for a thread that has it unblocked), so the
// wrapper's mask does not survive into a Go receiver, and a SIGTERM would
// meet the runtime's handler instead of the signalfd. podinit sends its stop
// signal to the app's process group, though, so the receiver can be another
// member of it: the app (this binary, ignoring SIGTERM) forks a reader that
// never runs Go code again, with every signal blocked from its first
// instruction on, which reads SIGTERM from a signalfd and reports on fd 3
// exactly as sigrecv does: no handler, no goroutine hand-off.

// termReader is the reader's memory, allocated before the fork: the reader
// may not allocate, and works on its own copy.
type termReader struct {
	mask   uint64            // a kernel sigset_t holding SIGTERM alone
	info   [siginfoSize]byte // one signalfd_siginfo: SIGTERMs do not queue
	ts     unix.Timespec
	report int64 // CLOCK_MONOTONIC in ns, as sigrecv reports it
}

// termReceiver is the app of the SIGTERM measurement: it starts the reader,
// then waits for its standard input to close, ends the reader and exits 0,
// so that nothing of it is left for the init to clean up.
func termReceiver(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("want no arguments, got %q", args)
	}
	// The whole group gets the SIGTERM, this process too.
	signal.Ignore(unix.SIGTERM)
	r := &termReader{mask: 1 << (unix.SIGTERM - 1)}
	var pid int
	err := withSignalsBlocked(func() error {
		var errno uintptr
		if pid, errno = spawnTermReader(r); errno != 0 {
			return fmt.Errorf("fork the reader: %w", unix.Errno(errno))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Only the reader reports: if it dies, the bench sees end of file
	// rather than waiting out its deadline.
	unix.Close(reportFD)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = unix.Kill(pid, unix.SIGKILL)
	return reapClone(pid)
}

// spawnTermReader forks the reader and returns its pid. The reader has the
// forking thread's mask, which must block every signal, and one thread of a
// many-threaded Go process: as in orphan_other.go, nosplit and raw system
// calls only, so that no Go runtime code runs in it. Its first report says
// it is ready; then it reports the time of every read. It exits when a
// system call fails, which shows the bench as end of file on fd 3.
//
//go:norace
//go:nosplit
func spawnTermReader(r *termReader) (int, uintptr) {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), uintptr(errno)
	}
	fd, _, errno := syscall.RawSyscall6(syscall.SYS_SIGNALFD4, ^uintptr(0), uintptr(unsafe.Pointer(&r.mask)), unsafe.Sizeof(r.mask), 0, 0, 0)
	for errno == 0 {
		syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&r.ts)), 0)
		r.report = r.ts.Sec*1e9 + r.ts.Nsec
		_, _, errno = syscall.RawSyscall(syscall.SYS_WRITE, reportFD, uintptr(unsafe.Pointer(&r.report)), unsafe.Sizeof(r.report))
		if errno == 0 {
			_, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.info)), uintptr(len(r.info)))
		}
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(errno), 0, 0)
	return 0, 0
}
