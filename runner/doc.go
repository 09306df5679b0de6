// Package runner runs compiled graphs as distributed node runners on NATS
// JetStream, with no coordinator.
//
// The tasks of a superstep are messages on a work-queue stream
// (Config.Stream). A Runner pulls a task, with at most Config.Concurrency
// running at once, reads the step's checkpoint by id, runs the node
// (reporting progress to the server while it runs), and stores the task's
// writes against the checkpoint, keyed by the task id (graph.Graph.RunTask).
// If the step's tasks have all written, it commits the next checkpoint with
// the conditional append (graph.Graph.Advance): of runners that race to
// commit the same step, exactly one wins and the others get
// saver.ErrConflict and do nothing. Then it publishes the next step's
// tasks, with the task id as Nats-Msg-Id, so that publishing a task twice
// is harmless.
//
// The thread's event log is the outbox: every runner also shares a durable
// consumer on the event stream and, for each event of a thread that a
// Dispatcher bound to a hosted graph, looks at the thread's latest
// checkpoint and publishes its unfinished tasks, or commits its step when
// every task has written. A runner that dies between committing a step and
// publishing its tasks, or between storing a task's writes and committing,
// strands nothing.
//
// A task whose node fails is retried (with a delay) up to Config.MaxDeliver
// runs; then its error is recorded on the task (saver.ChannelError) and the
// run stops there, as a local run stops on a failed node: GetState shows
// the error and a dispatched Invoke returns it. A task that is never
// acknowledged (its runner died while running it, every time) is recorded
// as failed, without running, on its delivery after the MaxDeliver-th. A
// node that runs longer than Config.TaskTimeout sees its context end.
//
// Callers hand runs to runners with graph.WithDispatcher and a Dispatcher.
// Every runner must host every graph that runs are dispatched to (they
// share one consumer); graphs are told apart by graph.WithName.
package runner
