// Package hooks runs a container's lifecycle: four phases (prestart,
// poststart, prestop, poststop), each an ordered list of steps such as
// "http PUT URL", "sleep 10s" or "wait-exit", run within a time budget and
// reported as progress lines in the container's log.
//
// # Running a phase once
//
// A Lifecycle runs each phase at most once. The first trigger (kubelet's exec
// hook through the control socket, a stop signal, or PID 1 itself) starts it;
// later triggers join the run and receive the same progress lines from the
// start. The control socket is an abstract Unix socket named after the PID
// namespace, so it needs no writable file system, and PID 1 serves only peers
// of its own PID namespace and user.
//
// # Where steps run
//
// A Runner runs steps in the calling process, as the standalone `podinit
// hook PHASE STEP...` does. PID 1 uses a ProcessRunner instead: each phase
// runs in a child process (podinit re-executed, RunPhaseProcess), so no
// step can block, grow or crash PID 1; see process.go for the protocol.
//
// # Steps
//
// A step is written as words, as on a command line: "http PUT
// http://registry/apps/${APP} --header Authorization:${TOKEN} --timeout 5s".
// Words are split as a shell splits them (quotes, backslashes), and ${VAR} is
// expanded from the environment when the step runs, not when it is parsed.
// Every step takes --timeout D and --optional.
package hooks
