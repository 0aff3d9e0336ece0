package supervisor

import (
	"os"
	"strconv"

	"github.com/podinit/podinit/procfs"
)

// descendants lists the processes below root, read from /proc. A process
// whose parent is gone while the scan runs is re-parented to root (a
// subreaper) and shows up on the next scan, which is why leftovers are
// signalled again when the kill timer fires.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := procfs.Parent(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
