#include "textflag.h"

// Orphans that cost little to make and little to end. The intermediate child
// is cloned with CLONE_VM|CLONE_VFORK: it shares this process's memory, so no
// page tables are copied (a fork of the bench costs milliseconds on some
// virtual machines), and this thread sleeps in clone(2) until the child has
// exited. The child runs on this very stack, so from the clone on it touches
// no memory: registers and system calls only. It clones the orphan with
// CLONE_VM as well, and exits. The orphan shares the memory too, so its
// exit tears nothing down and the init's reaping is all that is timed.
// Neither child has an exit signal, so no SIGCHLD handler runs in the
// intermediate; the kernel gives the orphan SIGCHLD as its exit signal when
// it re-parents it to the init (reparent_leader in kernel/exit.c).

#define SYS_read           0
#define SYS_write          1
#define SYS_getpid         39
#define SYS_clone          56
#define SYS_clock_gettime  228
#define SYS_exit_group     231
#define CLONE_VM           0x100
#define CLONE_VFORK        0x4000
#define CLOCK_MONOTONIC    1

// CLONE(flags) leaves the result in AX: the child's pid, 0 in the child, or
// -errno.
#define CLONE(flags) \
	MOVQ	$(flags), DI; \
	XORQ	SI, SI; \
	XORQ	DX, DX; \
	XORQ	R10, R10; \
	XORQ	R8, R8; \
	MOVQ	$SYS_clone, AX; \
	SYSCALL

#define EXIT \
	XORQ	DI, DI; \
	MOVQ	$SYS_exit_group, AX; \
	SYSCALL; \
	INT	$3

// func spawnOrphan() (pid int, errno uintptr)
TEXT ·spawnOrphan(SB),NOSPLIT|NOFRAME,$0-16
	CLONE(CLONE_VM|CLONE_VFORK)
	CMPQ	AX, $0
	JEQ	intermediate
	JLT	failed
	MOVQ	AX, pid+0(FP)
	MOVQ	$0, errno+8(FP)
	RET
failed:
	NEGQ	AX
	MOVQ	$-1, pid+0(FP)
	MOVQ	AX, errno+8(FP)
	RET
intermediate:
	CLONE(CLONE_VM)
	EXIT // in the orphan and in the intermediate alike

// func spawnTimedOrphan(goFD int, reportFD int, r *exitReport) (pid int, errno uintptr)
TEXT ·spawnTimedOrphan(SB),NOSPLIT|NOFRAME,$0-40
	// The kernel keeps BX, R12 and R13 across system calls.
	MOVQ	goFD+0(FP), R12
	MOVQ	reportFD+8(FP), R13
	MOVQ	r+16(FP), BX
	CLONE(CLONE_VM|CLONE_VFORK)
	CMPQ	AX, $0
	JEQ	intermediate
	JLT	failed
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
failed:
	NEGQ	AX
	MOVQ	$-1, pid+24(FP)
	MOVQ	AX, errno+32(FP)
	RET
intermediate:
	CLONE(CLONE_VM)
	CMPQ	AX, $0
	JEQ	orphan
	EXIT
orphan:
	// Wait for the go-ahead: by then the init is the parent.
	MOVQ	R12, DI
	MOVQ	BX, SI
	MOVQ	$1, DX
	MOVQ	$SYS_read, AX
	SYSCALL
	// r.pid = getpid(); clock_gettime(CLOCK_MONOTONIC, &r.sec)
	MOVQ	$SYS_getpid, AX
	SYSCALL
	MOVQ	AX, 0(BX)
	MOVQ	$CLOCK_MONOTONIC, DI
	LEAQ	8(BX), SI
	MOVQ	$SYS_clock_gettime, AX
	SYSCALL
	// write(reportFD, r, 24), and exit at once.
	MOVQ	R13, DI
	MOVQ	BX, SI
	MOVQ	$24, DX
	MOVQ	$SYS_write, AX
	SYSCALL
	EXIT
