package main

// See orphan_amd64.s. Both must run on a locked thread with every signal
// blocked, so that no signal handler can run in the children; the
// intermediate child they return has already exited and is left for the
// caller to wait for, with __WALL because it has no exit signal.

// spawnOrphan makes an orphan that exits at once.
func spawnOrphan() (pid int, errno uintptr)

// spawnTimedOrphan makes an orphan that waits for a byte on goFD, then
// fills *r (which must stay allocated until then) and writes it to reportFD
// just before it exits.
func spawnTimedOrphan(goFD, reportFD int, r *exitReport) (pid int, errno uintptr)
