// Package faults runs the savers against real servers that fail: JetStream
// cluster nodes killed and restarted, a NATS server paused, PostgreSQL
// paused and killed, all as child processes on loopback. Every test writes
// checkpoints on many threads while the fault happens, then reads every
// thread back and checks that each acknowledged write is there, once, on
// one unbroken line of checkpoints.
//
// The default run keeps each test under a minute; -faults.rounds and
// -faults.threads make longer runs.
package faults
