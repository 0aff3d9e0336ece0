#include "textflag.h"

// trampoline is podinit's handler for every signal it forwards. The kernel
// enters it with the C calling convention (DI = signal number, SI = *siginfo_t,
// DX = *ucontext_t) on the thread's alternate signal stack, which the Go
// runtime gives every thread. It touches no Go state: it copies the 128-byte
// siginfo into the intake pipe with one write(2), which is async-signal-safe
// and atomic for fewer than PIPE_BUF bytes, and counts a record it could not
// write because the pipe was full.
TEXT ·trampoline(SB),NOSPLIT|NOFRAME,$0
	MOVQ	·intakeWriteFD(SB), DI
	MOVQ	$128, DX
	MOVQ	$1, AX // SYS_write; SI already points at the siginfo
	SYSCALL
	CMPQ	AX, $128
	JEQ	written
	LOCK
	INCQ	·intakeDropped(SB)
written:
	RET

// chainTrampoline is the handler for the signals the Go runtime needs for
// itself (see intake.go): a kernel-raised one (si_code > 0) or one podinit
// sent itself goes to the runtime's saved handler, with DI, SI and DX as the
// kernel set them and the stack as it was, so the runtime sees a plain
// delivery; any other goes to the intake.
TEXT ·chainTrampoline(SB),NOSPLIT|NOFRAME,$0
	MOVL	8(SI), AX // si_code
	CMPL	AX, $0
	JGT	runtime
	MOVLQSX	16(SI), AX // si_pid
	CMPQ	AX, ·intakeSelfPID(SB)
	JEQ	runtime
	JMP	·trampoline(SB)
runtime:
	MOVL	DI, AX
	LEAQ	·chainHandlers(SB), CX
	MOVQ	(CX)(AX*8), AX
	JMP	AX

// restorer returns from the handler; x86-64 kernels require one (SA_RESTORER).
TEXT ·restorer(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$15, AX // SYS_rt_sigreturn
	SYSCALL
	INT	$3

// func trampolineAddr() uintptr
TEXT ·trampolineAddr(SB),NOSPLIT,$0-8
	LEAQ	·trampoline(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func chainTrampolineAddr() uintptr
TEXT ·chainTrampolineAddr(SB),NOSPLIT,$0-8
	LEAQ	·chainTrampoline(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func restorerAddr() uintptr
TEXT ·restorerAddr(SB),NOSPLIT,$0-8
	LEAQ	·restorer(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
