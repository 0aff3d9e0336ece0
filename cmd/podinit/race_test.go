//go:build race

package main

// raceEnabled makes the tests build podinit itself with the race detector.
const raceEnabled = true
