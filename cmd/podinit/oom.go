package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// oomKills reads how many processes the kernel's OOM killer has killed in
// this container's memory cgroup: memory.events under cgroup v2,
// memory.oom_control under v1 (both have an "oom_kill N" line). A container
// sees its own cgroup at /sys/fs/cgroup through its cgroup namespace.
func oomKills() (int, bool) {
	for _, path := range []string{"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"} {
		if n, ok := readOOMKill(path); ok {
			return n, true
		}
	}
	return 0, false
}

func readOOMKill(path string) (int, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}
