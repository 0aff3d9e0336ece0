package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by the Makefile (-ldflags -X). A binary built with
// `go install github.com/podinit/podinit/cmd/podinit@VERSION` has neither,
// and takes the module's version from its build information instead.
var (
	version = "dev"
	commit  = "unknown"
)

func versionLine() string {
	return fmt.Sprintf("podinit %s (commit %s, %s, %s/%s)", podinitVersion(), commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func podinitVersion() string {
	if version == "dev" {
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
	}
	return version
}

// tiniCompatible is the tini release whose behaviour the tini persona keeps.
const tiniCompatible = "0.19.0"

// tiniVersionLine is the tini persona's --version: tini's own format, which
// scripts look for and dockerd parses for `docker info` (the version before
// " - ", then "git." and a commit without dots), followed by what it really is.
func tiniVersionLine() string {
	return fmt.Sprintf("tini version %s - git.%s - %s", tiniCompatible, strings.ReplaceAll(commit, ".", ""), versionLine())
}
