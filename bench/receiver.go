package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The signal receiver must add as little latency of its own as possible: it
// sleeps in read(2) on a signalfd, which returns as soon as the signal is
// queued, with no handler and no goroutine hand-off. That works only if the
// signal is blocked on every thread, or the kernel hands it to a thread that
// has it unblocked and the Go runtime's handler takes it. A Go program cannot
// block a signal before its runtime starts threads, so the wrapper blocks it
// and execs the receiver: a new program's first thread inherits the mask,
// and the Go runtime gives every thread it makes that initial mask.

// siginfoSize is the size of a struct signalfd_siginfo, the unit a signalfd
// is read in.
const siginfoSize = int(unsafe.Sizeof(unix.SignalfdSiginfo{}))

// sigWrapper SIG blocks SIG and execs this binary as the receiver.
func sigWrapper(args []string) error {
	sig, err := intArg(args)
	if err != nil {
		return err
	}
	// The mask is per thread and execve keeps the calling thread's: block
	// and exec on one thread.
	runtime.LockOSThread()
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, sigset(sig), nil); err != nil {
		return fmt.Errorf("block signal %d: %w", sig, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	err = syscall.Exec(self, append([]string{self}, args...), helperEnviron(modeSigRecv))
	return fmt.Errorf("exec %s: %w", self, err)
}

// sigReceiver SIG reports, for every SIG, the CLOCK_MONOTONIC time it was
// read, as an int64 on fd 3. The first report, before any signal, says it is
// ready. It exits when its standard input closes.
func sigReceiver(args []string) error {
	sig, err := intArg(args)
	if err != nil {
		return err
	}
	if err := checkBlocked(sig); err != nil {
		return err
	}
	fd, err := unix.Signalfd(-1, sigset(sig), unix.SFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("signalfd for signal %d: %w", sig, err)
	}
	if err := writeReport(binary.NativeEndian.AppendUint64(nil, uint64(monotonic()))); err != nil {
		return fmt.Errorf("report ready: %w", err)
	}
	go exitOnEOF()
	const batch = 64 // signals taken per read in a burst
	buf := make([]byte, batch*siginfoSize)
	out := make([]byte, 0, batch*reportRecord)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read signalfd: %w", err)
		}
		now := uint64(monotonic())
		out = out[:0]
		for range n / siginfoSize {
			out = binary.NativeEndian.AppendUint64(out, now)
		}
		if err := writeReport(out); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
}

// exitOnEOF exits when standard input reaches end of file: the bench's way
// to stop the receiver, and with it the init, without killing either.
func exitOnEOF() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// checkBlocked makes sure the wrapper's mask survived into this thread, so a
// mistake shows as an error rather than as lost signals.
func checkBlocked(sig int) error {
	var mask unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &mask); err != nil {
		return err
	}
	if word, bit := sigBit(sig); mask.Val[word]&bit == 0 {
		return fmt.Errorf("signal %d is not blocked: start the receiver through %s", sig, modeSigWrap)
	}
	return nil
}

// sigBit locates sig in a sigset_t: signal N is bit N-1.
func sigBit(sig int) (word int, bit uint64) {
	return (sig - 1) / 64, 1 << ((sig - 1) % 64)
}

func sigset(sig int) *unix.Sigset_t {
	var set unix.Sigset_t
	word, bit := sigBit(sig)
	set.Val[word] |= bit
	return &set
}
