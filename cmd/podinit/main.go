// Command podinit is a container's PID 1: it runs the application, forwards
// signals to it, reaps zombies and exits with the application's code. Called
// as tini or dumb-init it takes their command line and behaves as they do.
package main

import (
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args, os.Environ()))
}

// run picks the persona from the name podinit was called by, so a copy or
// symlink named tini or dumb-init can replace those binaries in an image.
func run(args, env []string) int {
	e := newEnviron(env)
	switch persona(args[0]) {
	case "tini":
		return runTini(args, e)
	case "dumb-init":
		return runDumbInit(args, e)
	}
	return runPodinit(args, e)
}

func persona(argv0 string) string {
	name := filepath.Base(argv0)
	switch {
	case name == "tini" || strings.HasPrefix(name, "tini-"):
		return "tini" // tini-static, tini-amd64, ...
	case name == "dumb-init" || strings.HasPrefix(name, "dumb-init_"):
		return "dumb-init" // dumb-init_1.2.5_x86_64, as released
	}
	return "podinit"
}

// environ is the environment podinit was started with, as a lookup table.
type environ struct {
	list []string
	vars map[string]string
}

func newEnviron(list []string) environ {
	vars := make(map[string]string, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return environ{list: list, vars: vars}
}

func (e environ) lookup(k string) (string, bool) {
	v, ok := e.vars[k]
	return v, ok
}
