#include "textflag.h"

// trampoline: see trampoline_amd64.s. The kernel enters it with R0 = signal
// number, R1 = *siginfo_t, R2 = *ucontext_t, and LR pointing at the vDSO's
// sigreturn, so no restorer is needed here.
TEXT ·trampoline(SB),NOSPLIT|NOFRAME,$0
	MOVD	·intakeWriteFD(SB), R0
	MOVD	$128, R2
	MOVD	$64, R8 // SYS_write; R1 already points at the siginfo
	SVC
	CMP	$128, R0
	BEQ	written
	MOVD	$·intakeDropped(SB), R3
retry:
	LDAXR	(R3), R4
	ADD	$1, R4
	STLXR	R4, (R3), R5
	CBNZ	R5, retry
written:
	RET

// func trampolineAddr() uintptr
TEXT ·trampolineAddr(SB),NOSPLIT,$0-8
	MOVD	$·trampoline(SB), R0
	MOVD	R0, ret+0(FP)
	RET
