// Package logsink is podinit's one way out for log lines: a bounded queue that
// the event loop hands lines to without ever waiting, and one writer
// goroutine that drains it to the lines' file descriptors.
//
// A log line is never worth a delayed signal or a lost exit code. When stdout
// is a pipe nobody reads, the writer blocks in write(2) and the queue fills;
// further lines are dropped and counted, and once the writer gets through
// again it writes one line saying how many were lost. A descriptor left
// non-blocking by another process (Node.js does that to its stdout, which it
// shares with podinit) makes write(2) fail with EAGAIN; the writer then
// sleeps in poll(2) until the descriptor can take more, instead of spinning.
//
// # Format
//
// Line is the one formatter of every line podinit writes, its own and its
// phases' progress: text with a UTC timestamp, or one JSON object a line.
package logsink
