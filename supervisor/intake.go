package supervisor

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/podinit/podinit/signals"
)

// The intake is how signals reach the event loop. Go's os/signal is not used:
// it records pending signals in a bitmask, so a burst of queued real-time
// signals arrives as one, and every delivery hops through two goroutines.
// Instead each forwarded signal gets a tiny handler (trampoline_*.s) that
// writes the kernel's siginfo into a pipe; the loop blocks in read(2) on that
// pipe, so PID 1 sleeps until a signal arrives and gets every signal, in order,
// with its sender.
//
// Other goroutines wake the loop by writing a record whose signal number is 0.
//
// The Go runtime needs some signals for itself (signals.RuntimeNeeds): a real
// fault, its own abort, goroutine preemption. For those, catch installs
// chainTrampoline, which hands the signal to the runtime's own handler (saved
// in chainHandlers) when the kernel raised it (si_code > 0: a fault, which
// nothing in user space can forge for another process) or podinit sent it to
// itself (si_pid is podinit's own), and to the intake otherwise. So `kill
// -SEGV 1` from the app is forwarded, and a nil dereference in podinit still
// crashes it with a traceback.
//
// Each trampoline_ARCH.s provides, with the C calling convention the kernel
// uses to enter a handler:
//   - trampoline: write the 128-byte siginfo to intakeWriteFD with one
//     write(2); on a short write, increment intakeDropped atomically.
//   - chainTrampoline: if the siginfo's si_code (offset 8, int32) is > 0 or
//     its si_pid (offset 16, int32) equals intakeSelfPID, jump to
//     chainHandlers[signo] with the kernel's three arguments untouched;
//     otherwise continue as trampoline.
//   - trampolineAddr and chainTrampolineAddr, returning their addresses.

const siginfoSize = 128

// intakeWriteFD and intakeDropped are read and written by the trampoline.
var (
	intakeWriteFD int64 = -1
	intakeDropped uint64
	intakeSelfPID int64 = -1
	chainHandlers [65]uintptr
)

func trampolineAddr() uintptr
func chainTrampolineAddr() uintptr

// record is the part of a siginfo_t the loop uses.
type record struct {
	Signo unix.Signal
	Code  int32
	Pid   int // the sender, for signals sent with kill(2) or sigqueue(3)
}

// From linux/include/uapi/asm-generic/siginfo.h.
const (
	siUser   = 0    // kill(2)
	siKernel = 0x80 // sent by the kernel, for example on TIOCNOTTY
)

func decodeRecord(b []byte) record {
	return record{
		Signo: unix.Signal(int32(binary.NativeEndian.Uint32(b[0:]))),
		Code:  int32(binary.NativeEndian.Uint32(b[8:])),
		Pid:   int(int32(binary.NativeEndian.Uint32(b[16:]))),
	}
}

type intake struct {
	readFD, writeFD int
	buf             []byte
}

// pipeCapacity holds 8192 records: a burst that large can wait while the loop
// is busy without a signal being dropped.
const pipeCapacity = 1 << 20

func openIntake() (*intake, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("signal pipe: %w", err)
	}
	// The write end must never block: the handler may run on the loop's own
	// thread, which would then wait for itself.
	if err := unix.SetNonblock(fds[1], true); err != nil {
		return nil, fmt.Errorf("signal pipe: %w", err)
	}
	// Best effort: an unprivileged user may be held to /proc/sys/fs/pipe-max-size.
	_, _ = unix.FcntlInt(uintptr(fds[1]), unix.F_SETPIPE_SZ, pipeCapacity)
	atomic.StoreInt64(&intakeSelfPID, int64(unix.Getpid()))
	atomic.StoreInt64(&intakeWriteFD, int64(fds[1]))
	return &intake{readFD: fds[0], writeFD: fds[1], buf: make([]byte, 256*siginfoSize)}, nil
}

// kernelSigaction is struct sigaction as the rt_sigaction system call takes it
// on amd64 and arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	sigDfl      = 0
	sigIgn      = 1
	saSiginfo   = 0x4
	saOnstack   = 0x08000000
	saRestart   = 0x10000000
	sigsetBytes = 8
)

// catch routes sig to the intake. SA_ONSTACK keeps the kernel's signal frame
// off small goroutine stacks; SA_RESTART keeps the Go runtime's own system
// calls from seeing EINTR, as with the runtime's handlers.
func catch(sig unix.Signal) error {
	act := kernelSigaction{
		handler:  trampolineAddr(),
		flags:    saSiginfo | saOnstack | saRestart | saRestorer,
		restorer: restorerPC(),
		mask:     ^uint64(0),
	}
	if signals.RuntimeNeeds(sig) {
		var runtimeAct kernelSigaction
		if err := sigaction(sig, nil, &runtimeAct); err != nil {
			return err
		}
		switch runtimeAct.handler {
		case chainTrampolineAddr():
			// Caught already: the runtime's handler is saved.
			act.handler, act.mask = runtimeAct.handler, runtimeAct.mask
		case sigDfl, sigIgn, trampolineAddr():
		default:
			// Saved before the switch: the trampoline may run as soon
			// as sigaction returns.
			atomic.StoreUintptr(&chainHandlers[sig], runtimeAct.handler)
			act.handler = chainTrampolineAddr()
			act.mask = runtimeAct.mask
		}
	}
	return sigaction(sig, &act, nil)
}

// ignore sets sig to SIG_IGN. A child forked afterwards inherits that
// through exec unless the Go runtime handles sig itself, which it does not
// for TTIN and TTOU: ignore them only after the app has started.
func ignore(sig unix.Signal) error {
	return sigaction(sig, &kernelSigaction{handler: sigIgn}, nil)
}

// inheritedIgnore reports whether sig was ignored when podinit started. The
// Go runtime leaves an inherited SIG_IGN in place only for HUP and INT (the
// nohup and background-job cases), so only those can be answered truthfully.
func inheritedIgnore(sig unix.Signal) bool {
	if sig != unix.SIGHUP && sig != unix.SIGINT {
		return false
	}
	var old kernelSigaction
	return sigaction(sig, nil, &old) == nil && old.handler == sigIgn
}

func sigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), sigsetBytes, 0, 0)
	if errno != 0 {
		return fmt.Errorf("sigaction %d: %w", int(sig), errno)
	}
	return nil
}

// read blocks until at least one record is available and returns all that
// are, in the order the signals were delivered.
func (in *intake) read() ([]record, error) {
	for {
		n, err := unix.Read(in.readFD, in.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("signal pipe: %w", err)
		}
		recs := make([]record, 0, n/siginfoSize)
		for off := 0; off+siginfoSize <= n; off += siginfoSize {
			recs = append(recs, decodeRecord(in.buf[off:]))
		}
		return recs, nil
	}
}

// wake makes a blocked read return a record with signal number 0.
func (in *intake) wake() {
	var zero [siginfoSize]byte
	for {
		_, err := unix.Write(in.writeFD, zero[:])
		if err != unix.EINTR {
			return
		}
	}
}

// dropped returns how many signals were lost to a full pipe since the last call.
func dropped() uint64 { return atomic.SwapUint64(&intakeDropped, 0) }
