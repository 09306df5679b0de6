// Package graph builds and runs LangGraph-style state graphs with durable
// memory.
//
// A graph's state is a struct; each exported field is a channel, named and
// given a reducer by its `graph:"name,reducer=..."` tag:
//
//	type State struct {
//		Messages []message.Message `graph:"messages,reducer=messages"` // merge by id
//		Notes    []string          `graph:"notes,reducer=append"`      // concatenate
//		Draft    string            `graph:"draft"`                     // last value wins
//	}
//
// Nodes take the state and return a partial update: fields left at their
// zero value are not written (use WriteZero to write a zero value). Edges,
// conditional edges, joins and Send fan-outs decide which nodes run next.
//
// A compiled Graph runs in supersteps, as Pregel and LangGraph do: the nodes
// triggered by the previous step run concurrently, then their writes apply
// in a deterministic order and a checkpoint is saved. With a checkpointer
// (WithCheckpointer), every thread keeps its history: Invoke continues a
// conversation, Resume finishes an interrupted run, GetState and
// GetStateHistory read it back, UpdateState edits it, and invoking with a
// checkpoint id replays from that point on a new branch or forks it into a
// new thread. Task makes a call inside a node durable: its result is
// recorded and not recomputed when the node re-runs.
//
// Interrupt pauses a run for a human (or any outside party): the node's
// question is recorded, the call returns, GetState shows it
// (Snapshot.Interrupts, each with a stable ID), and ResumeWith, or
// WithResume on Stream and Invoke, passes the answer back to the node,
// which runs again from the top. Interrupts pending in parallel tasks are
// answered by id with a ResumeMap, one at a time or together.
// WithInterruptBefore and WithInterruptAfter stop runs around named nodes;
// Resume continues them. Snapshot.Status says whether a thread's run is
// done, waits for an answer, or has work left that Resume finishes.
//
// A compiled Graph remembers the decoded list channels (slices) of the
// threads it used last, so a call on a long conversation decodes only the
// messages it has not seen and a step that appends a message does not copy
// the conversation. The states it hands out, to nodes and routes and from
// Invoke, GetState and the other calls, share that memory: treat their
// slices as read-only, and copy a slice (slices.Clone) before changing its
// elements. Appending to them is safe: they have no spare capacity.
//
// Durability (WithDurability, or per call) says when steps are stored:
// before the next step starts (sync), in the background while it runs
// (async, the default, as in LangGraph), or only when the run ends (exit).
// Every mode reports every write error from the call that made it, and a
// call returns only once its writes are stored.
//
// What a crash (the process dies mid-run) costs in each mode; "Task call"
// means a Task inside a node, whose outcome is recorded when fn returns:
//
//	mode   a crash can lose            runs again                  never runs again
//	-----  --------------------------  --------------------------  ---------------------------
//	sync   the step that was running:  on Resume, those tasks,     every step stored; each
//	       the writes of its tasks     from the top of the node,   task whose writes were
//	       not yet stored (a step of   and the Task call that      stored; every Task call
//	       one task stores them with   was running                 whose outcome was stored
//	       its checkpoint)
//	async  the steps, task writes and  on Resume, every node of    the input and everything
//	       Task outcomes not yet       a step not stored, and the  else stored; a Task call
//	       written in the background   Task calls whose outcome    whose outcome was stored
//	       (never the run's input)     was not (their fn had run)
//	exit   the whole run, its input    nothing on Resume: call     everything of runs that
//	       too: the thread stays at    Invoke again with the       ended (a run is stored
//	       the head it had             input, and every node and   when it ends: at END, an
//	                                   Task call of it runs again  interrupt or an error)
//
// So a side effect in a Task may happen twice after a crash between the
// effect and the record of its outcome: make it safe by checking first
// whether it already happened, under a key that names it (see
// ExampleTask_checkFirst), or by an idempotent call.
//
// No phantom states: in every durability mode, no node (and so no Task
// function) runs on a state the thread never had, a Task whose outcome was
// stored is never run again, and a node runs more than once only after a
// crash or a refused commit, and then on the same input. Sync and async
// runs store their input before any node runs; exit runs read the
// thread's head from the store and fail, rather than retry, when their
// commit finds it moved.
//
// Runs on one thread never interleave: a run claims its thread with a
// lease and a second call on it fails with an error matching
// saver.ErrConflict (a *saver.BusyError), or waits with WaitIfBusy. See
// Graph and WithRunLease.
package graph
