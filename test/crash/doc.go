// Package crash is the crash harness: its test builds the worker in
// ./child, runs the order workflow of ./workflow with it on every saver
// (JetStream on a server in the test process listening on loopback, a
// SQLite file, a fresh PostgreSQL schema) in every durability mode,
// SIGKILLs it at random moments, starts it again until the workflow ends,
// and then checks what the store holds against an uninterrupted reference
// run.
//
//	go test ./test/crash/ -run Crash -v
//	go test ./test/crash/ -run Crash/recovery -v -crash.seed=1234 -crash.kills=200
//
// The workflow has seven supersteps after its input: receive, a fan-out to
// three checks in one step, tally, approve (a graph.Task "charge", then a
// graph.Interrupt the harness answers through graph.ResumeWith), ship (a
// graph.Task "notify") and finish. Each Task appends one line to a file
// outside the store: its name, a key naming the checkpoint the node ran
// from (a digest of the state's nonces: every node run adds a random one),
// a random marker it returns as its result, and the child's generation.
// The children take a 300 ms run lease (graph.WithRunLease) and call with
// graph.WaitIfBusy; after a kill, half the restarts begin while the killed
// child's lease is still live.
//
// What the checks count, per thread, reading the thread's event log
// record by record (package event):
//
//   - lost: steps missing on the final line of execution (the checkpoints
//     from the head back through their parents must have the steps -1, 0,
//     1, ... of the reference run, each once), and, in sync mode, steps a
//     child acknowledged (it prints each step Stream yields, with the
//     state's nonces) whose nonces the final stored state lacks. A child
//     that answers the interrupt calls ResumeWith, which has no stream
//     form: its steps are acknowledged only by a later child's Stream.
//   - duplicate_commits: a checkpoint put twice, two loop (or input)
//     checkpoints on the same parent and step anywhere in the log, or a
//     task's node writes stored twice on one checkpoint.
//   - reexecuted_recorded_tasks: for every Task outcome in the log (its
//     __task__ write), a side-effect line of the same task (same name and
//     key) written after the line of the stored outcome; and a task call
//     with more than one stored outcome. Lines before the stored one are
//     calls a kill cut off before their outcome was stored: allowed.
//
// Besides, every run's final state, read back from the store, must equal
// what the last child reported, and the reference's but for the random
// nonces and markers; its markers must be the outcomes the final line
// recorded. The fault checks (checks_catch_faults) run the child with a
// fault injected (see child/fault.go) and require the matching count to be
// non-zero.
//
// It prints the seed, then one line per saver and mode:
//
//	crash-recovery: saver=sqlite mode=sync kills=20 completed=9 lost=0 duplicate_commits=0 reexecuted_recorded_tasks=0
package crash
