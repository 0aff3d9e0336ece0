// Package procfs reads the few facts podinit takes from /proc.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Dir is the /proc directory of process pid.
func Dir(pid int) string { return "/proc/" + strconv.Itoa(pid) }

// StatFields returns the fields of DIR/stat after the command name, so that
// index 0 is field 3 of proc(5), the state. The name is in parentheses and
// may itself contain spaces and parentheses, hence the last ')'.
func StatFields(dir string) ([]string, error) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil, err
	}
	return parseStat(b, dir)
}

func parseStat(b []byte, dir string) ([]string, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("%s/stat: no command name", dir)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return nil, fmt.Errorf("%s/stat: %d fields after the command name", dir, len(f))
	}
	return f, nil
}

// Parent returns the parent pid of process pid (field 4 of proc(5)).
func Parent(pid int) (int, bool) {
	f, err := StatFields(Dir(pid))
	if err != nil {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// Comm returns the command name of process pid, or "" if it is gone.
func Comm(pid int) string {
	b, err := os.ReadFile(Dir(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}
