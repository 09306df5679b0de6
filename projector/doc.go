// Package projector folds a JetStream event log into a KV bucket of thread
// snapshots, with the shared fold (event.Thread), so that a cold read starts
// from a recent snapshot instead of the first event.
//
// The KV bucket is a cache (DESIGN.md invariant 4): a Projector is a durable
// consumer of the stream that can be stopped, restarted, or deleted together
// with the bucket and rebuilt from the stream, giving the same bytes. Reads
// never wait for it: a reader takes the newest snapshot and folds the events
// after it.
//
// A snapshot is taken when the events since the last one outweigh it (and at
// least Config.MinSnapshotBytes), and after a fork seed, prune or
// tombstone, so that total storage stays linear in the log (invariant 5).
// Snapshots larger than one message are split over several KV values.
package projector
