// Package event is jetgraph's storage format and its one fold.
//
// Every change to a thread is an event: a batch of records appended to the
// thread's log in one piece (a superstep's records travel together). Record
// kinds are strings with a schema version, encoded with msgpack. Fold turns a
// thread's events into its checkpoints; the memory, SQLite, PostgreSQL and
// JetStream savers, the KV projector and time-travel replay all call it, so
// they mean the same thing by construction.
//
// Writers plan a change against the folded state they read (Thread.PlanPut
// and friends), append the encoded records conditionally on the sequence
// they read, and apply the same records on success.
//
// This package does no I/O.
package event
