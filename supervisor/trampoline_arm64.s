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

// chainTrampoline: see trampoline_amd64.s. R0, R1, R2 and LR reach the
// runtime's handler as the kernel set them.
TEXT ·chainTrampoline(SB),NOSPLIT|NOFRAME,$0
	MOVW	8(R1), R3 // si_code, sign-extended
	CMP	$0, R3
	BGT	runtime
	MOVW	16(R1), R3 // si_pid
	MOVD	·intakeSelfPID(SB), R4
	CMP	R4, R3
	BEQ	runtime
	B	·trampoline(SB)
runtime:
	MOVD	$·chainHandlers(SB), R3
	MOVWU	R0, R4
	MOVD	(R3)(R4<<3), R3
	JMP	(R3)

// func chainTrampolineAddr() uintptr
TEXT ·chainTrampolineAddr(SB),NOSPLIT,$0-8
	MOVD	$·chainTrampoline(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func trampolineAddr() uintptr
TEXT ·trampolineAddr(SB),NOSPLIT,$0-8
	MOVD	$·trampoline(SB), R0
	MOVD	R0, ret+0(FP)
	RET
