package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time by the Makefile (-ldflags -X). A binary built with
// `go install github.com/podinit/podinit/cmd/podinit@VERSION` has neither,
// and takes the module's version from its build information instead.
var (
	version = "dev"
	commit  = "unknown"
)

func versionLine() string {
	v := version
	if v == "dev" {
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
	}
	return fmt.Sprintf("podinit %s (commit %s, %s, %s/%s)", v, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
