package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The floors are what podinit's start-up is judged against: the least a
// static Go init can cost, without and with the HTTP client that podinit
// links in (issue 11 settles that podinit stays one binary, HTTP included).
// They are built here from the repository's source with podinit's own build
// flags (the Makefile's build target), so a new Go release moves the floors
// and podinit alike.

// Names of the floors as the report shows them.
const (
	goFloor   = "Go floor"
	httpFloor = "Go+HTTP floor"
)

// floorPackages are the floors' import paths, by name.
var floorPackages = []struct{ name, pkg string }{
	{goFloor, "github.com/podinit/podinit/bench/floor"},
	{httpFloor, "github.com/podinit/podinit/bench/floorhttp"},
}

// buildFloors builds the floors with goTool, run from the working
// directory, which must be inside this module, and copies them into dir as
// podinit is (see copyBinary).
func buildFloors(goTool, dir string) ([]initUnderTest, error) {
	build, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return nil, err
	}
	goVersion, err := exec.Command(goTool, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("%s env GOVERSION: %w", goTool, err)
	}
	var floors []initUnderTest
	for _, f := range floorPackages {
		built := filepath.Join(build, filepath.Base(f.pkg))
		cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", built, f.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		var msg bytes.Buffer
		cmd.Stdout, cmd.Stderr = &msg, &msg
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build %s (%s): %w: %s", f.name, f.pkg, err, bytes.TrimSpace(msg.Bytes()))
		}
		out := filepath.Join(dir, filepath.Base(f.pkg))
		if err := copyBinary(built, out); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		floors = append(floors, initUnderTest{
			name: f.name, path: out,
			version: fmt.Sprintf("%s, built by %s", f.pkg, bytes.TrimSpace(goVersion)),
		})
	}
	return floors, nil
}
