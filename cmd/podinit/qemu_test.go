package main

import (
	"fmt"
	"os/exec"
	"runtime"
	"testing"
)

// With PODINIT_TEST_GOARCH=ARCH (make test-arch) the binary under test is
// podinit built for ARCH and run by Debian's qemu-user-static: qemu emulates
// podinit alone, and the applications it starts are native processes. qemu
// runs as the process the tests see, so a signal sent to "podinit" reaches it
// through qemu's signal emulation, which is part of what these runs check.
const goarchEnv = "PODINIT_TEST_GOARCH"

// emulator runs the binary under test; "" runs it directly.
var emulator string

// qemuNames maps Go's architecture names to qemu-user's.
var qemuNames = map[string]string{
	"amd64":   "x86_64",
	"386":     "i386",
	"arm64":   "aarch64",
	"arm":     "arm",
	"ppc64le": "ppc64le",
	"s390x":   "s390x",
	"riscv64": "riscv64",
}

// qemuFor finds the qemu-user-static binary that runs goarch's programs.
func qemuFor(goarch string) (string, error) {
	name, ok := qemuNames[goarch]
	if !ok {
		return "", fmt.Errorf("no qemu-user emulator known for GOARCH %q", goarch)
	}
	path, err := exec.LookPath("qemu-" + name + "-static")
	if err != nil {
		return "", fmt.Errorf("GOARCH %s needs qemu-%s-static from Debian's qemu-user-static (scripts/install-deps installs it): %w", goarch, name, err)
	}
	return path, nil
}

// underEmulator returns options that run podinit under qemu-user: the
// emulator of the foreign build under test, or else qemu for this machine's
// own architecture, for what qemu itself changes.
func underEmulator(t *testing.T, o options) options {
	t.Helper()
	if emulator != "" {
		return o
	}
	qemu, err := qemuFor(runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	o.wrap = append(append([]string{}, o.wrap...), qemu)
	return o
}
