// Package natsjs is the saver.Saver on NATS JetStream: every change to a
// thread is one message on the thread's subject (package eventlog), folded
// by the shared event.Thread; a projector (package projector) keeps
// snapshots in a KV bucket so that cold reads start near the end.
//
// Reads never depend on the projector being current: a read takes the
// newest snapshot and folds the events after it, and a process keeps the
// threads it read folded in memory, checking one sequence number per read.
// Tuple.Seq is the stream sequence of the event that wrote the checkpoint;
// ReplayTo gives a thread as it was right after any sequence; a fork is one
// seed message on the new thread, whatever the length of the history.
//
// Values too large for one message travel out of line: the event store
// keeps them in a JetStream Object Store bucket (Config.BlobBucket), keyed
// by their SHA-256, before it appends the event that refers to them, so a
// server with the stock 1 MB max payload stores values of many megabytes.
// Deleting, pruning or rolling back a thread truncates its log, replaces
// its snapshot and drops the values nothing refers to any more: no stream,
// bucket or read path keeps what was removed.
//
// New takes a JetStream handle the caller built; Connect dials a URL and
// FromConn takes a connection the caller opened. The package imports the
// NATS client only: saver/open's Embedded starts an in-process server.
package natsjs
