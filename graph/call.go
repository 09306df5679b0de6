package graph

import (
	"fmt"

	"github.com/jetgraph/jetgraph/saver"
)

// CallOption configures one call of Invoke, Resume, ResumeWith or Stream.
// A Durability is a CallOption, as is WithOutcome.
type CallOption interface {
	applyCall(*call)
}

// call is the per-call configuration.
type call struct {
	durability Durability
	outcome    *Outcome
	waitIfBusy bool
	resume     *any // WithResume
}

// Durability says when a run's checkpoints and task writes are stored
// (LangGraph's durability). Pass one to WithDurability for a graph's
// default, or to a call to override it there.
//
// In every mode: no node (and so no Task function) runs on a state the
// thread never had; a Task whose outcome was stored is never run again;
// and a node runs more than once only after a crash or a refused commit,
// and then on the same input. The modes differ in what a crash loses and
// in how many appends a run costs.
type Durability string

// The durability modes.
const (
	// DurabilitySync stores every step before the next one starts: a crash
	// loses at most the step that was running, and a node runs only once
	// its input is stored. A Task's outcome is stored when fn returns.
	DurabilitySync Durability = "sync"
	// DurabilityAsync stores the run's input (its first commit, with its
	// claim on the thread) before any node runs, waiting for that one
	// commit only; then it stores each step in the background, in order,
	// while the next step runs. A Task's outcome is stored in the
	// background too, soon after fn returns. The call returns only once
	// every write finished, and returns the first write error; a failed
	// write also stops the run at its next step. A crash loses the steps
	// and Task outcomes not yet stored. The default, as in LangGraph.
	//
	// An Invoke on the thread's head in this mode or in sync mode starts
	// from the saver's cache of the thread (saver.CachedGetter) and asks
	// the store nothing first: its first commit is stored only if the
	// thread's head is still the checkpoint it started from. If another
	// process moved the thread on, nothing of the run is stored, no node
	// has run, and the run starts over once from the new head.
	DurabilityAsync Durability = "async"
	// DurabilityExit stores nothing until the run ends (at END, on an
	// interrupt or on an error); then every checkpoint, write and Task
	// outcome of the run is stored, in as few appends as the batch cap
	// allows (a unit of 256 KiB of values; a step is never split). A crash
	// before then loses the whole run, and Task functions that ran in it
	// run again on the next attempt. The run reads the thread's head
	// from the store (not from a cache) and its commit requires that head
	// to be still the latest; if another run moved the thread on or holds
	// it, the call fails with an error matching saver.ErrConflict and is
	// not retried: its nodes have run.
	DurabilityExit Durability = "exit"
)

func (d Durability) applyCall(c *call) { c.durability = d }

func (d Durability) check() error {
	switch d {
	case DurabilitySync, DurabilityAsync, DurabilityExit:
		return nil
	}
	return saver.Invalid("durability", fmt.Sprintf("%q: want %q, %q or %q", string(d), DurabilitySync, DurabilityAsync, DurabilityExit))
}

// Outcome says how a run ended, for callers that pass WithOutcome.
type Outcome struct {
	// Interrupted says the run stopped on an interrupt (Interrupt in a
	// node, or WithInterruptBefore/WithInterruptAfter) rather than at END.
	// Resume or ResumeWith continues it.
	Interrupted bool
	// Interrupts are the values nodes passed to Interrupt, waiting for
	// ResumeWith. Empty for a static interrupt.
	Interrupts []InterruptInfo
	// Next lists the nodes that run when the thread is resumed.
	Next []string

	step int // the step that stopped, for Stream
}

type outcomeOption struct{ dst *Outcome }

func (o outcomeOption) applyCall(c *call) { c.outcome = o.dst }

// WithOutcome makes the call fill *dst with how the run ended: the Go form
// of LangGraph's "__interrupt__" key in a run's output. *dst is reset at the
// start of the call.
func WithOutcome(dst *Outcome) CallOption { return outcomeOption{dst} }

type resumeOption struct{ value any }

func (o resumeOption) applyCall(c *call) { c.resume = &o.value }

// WithResume makes the call answer the pending interrupt with value, as
// ResumeWith does (LangGraph's stream(Command(resume=value)) and
// invoke(Command(resume=value))): value is the answer, or a ResumeMap of
// answers by interrupt id. Stream takes it with a nil input; Invoke with a
// zero input (the run continues, it gets no new input), and a non-zero
// input is an error; Resume takes it too. It cannot be combined with
// ResumeWith's own value.
func WithResume(value any) CallOption { return resumeOption{value} }
