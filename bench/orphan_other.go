//go:build !amd64

package main

import (
	"syscall"
	"unsafe"
)

// Without the amd64 assembly, orphans are made by forking, from Go: correct
// everywhere but slower, and the orphan's exit also tears down a copy of the
// bench's address space, which the reap lag then includes. The children
// have one thread of a many-threaded Go process, so the Go runtime must not
// run in them: no allocation, no scheduler, no stack growth. Hence nosplit,
// raw system calls only, and norace to keep the race detector's calls out.

// spawnOrphan makes an orphan that exits at once and returns the pid of the
// intermediate child, for the caller to wait for.
//
//go:norace
//go:nosplit
func spawnOrphan() (int, uintptr) {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), uintptr(errno)
	}
	syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	return 0, 0
}

// spawnTimedOrphan makes an orphan that waits for a byte on goFD, then fills
// its copy of *r and writes it to reportFD just before it exits.
//
//go:norace
//go:nosplit
func spawnTimedOrphan(goFD, reportFD int, r *exitReport) (int, uintptr) {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), uintptr(errno)
	}
	pid, _, _ = syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if pid == 0 {
		syscall.RawSyscall(syscall.SYS_READ, uintptr(goFD), uintptr(unsafe.Pointer(r)), 1)
		self, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		r.pid = int64(self)
		syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&r.sec)), 0) // CLOCK_MONOTONIC
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(reportFD), uintptr(unsafe.Pointer(r)), unsafe.Sizeof(*r))
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	return 0, 0
}
