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
// New takes a JetStream handle the caller built; Connect dials a URL and
// FromConn takes a connection the caller opened. The package imports the
// NATS client only: saver/open's Embedded starts an in-process server.
package natsjs
