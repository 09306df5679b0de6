// Package eventlog is the per-thread event log on NATS JetStream.
//
// One stream holds every thread; a thread's events are the messages on
// subject <prefix>.<token>, where the token encodes the thread id
// injectively (see EncodeThread). Each append is one message (a superstep's
// records travel together) published with Nats-Expected-Last-Subject-Sequence,
// so two writers never interleave, and a deterministic Nats-Msg-Id, so a
// retried append is stored once. The stream sequence of a message is the
// event's sequence.
//
// A Log is shared by many goroutines on one connection. Concurrent appends
// pipeline: each joins a queue that whichever appender finds the
// connection free publishes back to back, and each waits for its own
// acknowledgement, routed to it over one reply subscription; none waits
// for another's round trip, and each stays conditional on its own
// thread's expected sequence.
//
// Log implements eventstore.Log and eventstore.Truncater; saver/natsjs builds
// the saver on it. Read and ReadRange read a thread's events, Tail follows a
// thread live for audit.
package eventlog
