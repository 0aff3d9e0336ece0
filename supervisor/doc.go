// Package supervisor is podinit's PID 1: it starts the application, forwards
// signals to it, reaps every child, runs the stop sequence, and turns the
// application's end into podinit's exit code.
//
// # One owner
//
// A single goroutine, the loop, owns the application's pid, its exit status and
// every call to wait4. Signals reach it through the intake (see intake.go);
// other goroutines reach it by posting a function and waking it. Nothing else
// reaps, so the application's status can never be taken by someone else, and
// nothing in the loop polls or ticks: between two events PID 1 is blocked in
// read(2).
//
// # Stop sequence
//
// The first stop signal (SIGTERM or SIGINT unless configured otherwise) is
// forwarded to the application after the BeforeStop step, if any, has run;
// after StopTimeout the application's process group gets SIGKILL. When the
// application has exited, processes it left behind get SIGTERM, then SIGKILL
// after LeftoverTimeout, and every one of them is reaped before Run returns.
package supervisor
