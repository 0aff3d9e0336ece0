// Package signals holds podinit's pure signal logic: names and numbers, which
// signals an init forwards, rewrite maps, and how a wait status becomes an exit
// code. Nothing here touches a process or does I/O, so every rule is a table test.
//
// # Numbering
//
// Real-time signals are numbered as glibc numbers them for programs: SIGRTMIN is
// 34, because glibc (and Go's runtime) keep 32 and 33 for themselves. A name such
// as "RTMIN+3" therefore means 37, exactly what `kill -s RTMIN+3` sends.
package signals
