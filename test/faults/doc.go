// Package faults runs the savers against real servers that fail: JetStream
// cluster nodes killed and restarted, a NATS server paused, PostgreSQL
// paused and killed, all as child processes on loopback. Every test writes
// checkpoints on many threads while the fault happens, then reads every
// thread back and checks that each acknowledged write is there, once, on
// one unbroken line of checkpoints.
//
// The nats-server binary is built from the module go.mod names, into a
// temporary directory, the first time a test needs it. PostgreSQL comes
// from internal/pgtest (a server of the test's own, so it can be paused
// and killed).
//
// The default run keeps each test under a minute; -faults.rounds,
// -faults.threads and -faults.acks make longer runs, for example
//
//	go test -race -count=1 ./test/faults/ -faults.rounds=5 -faults.acks=2000
package faults
