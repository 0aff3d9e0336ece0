package supervisor

import (
	"runtime"
	"sync"
)

// spareThreads is how many OS threads the Go runtime is made to start before
// the app does, beyond those it has: enough for every P to run while the loop,
// the log writer and a system call or two are blocked.
func spareThreads() int { return runtime.GOMAXPROCS(0) + 4 }

// reserveThreads makes the Go runtime start n OS threads now, while it
// still can. An app that uses up RLIMIT_NPROC (a fork bomb, a thread leak)
// makes every later clone(2) of the same user fail, and a runtime that needs
// a thread then dies ("failed to create new OS thread"), PID 1 with it. Each
// goroutine below holds a thread of its own until all have one; once they
// unlock and return, the runtime keeps the threads idle and reuses them, so
// the work after start-up finds one ready.
func reserveThreads(n int) {
	var locked, done sync.WaitGroup
	release := make(chan struct{})
	locked.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			locked.Done()
			<-release
			runtime.UnlockOSThread()
		}()
	}
	locked.Wait()
	close(release)
	done.Wait()
}
