// Command floor is the least a Go init can be, for the bench to measure
// podinit's start-up against: it fork/execs its arguments, reaps every child
// with wait4(-1), forwards SIGTERM and SIGINT to the one it started and exits
// as that one did. It has none of podinit's guarantees; it is a floor, not an
// init to use.
package main

import "github.com/podinit/podinit/bench/internal/initloop"

func main() { initloop.Run() }
