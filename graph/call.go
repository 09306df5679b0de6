package graph

import "fmt"

// CallOption configures one call of Invoke, Resume, ResumeWith or Stream.
// A Durability is a CallOption, as is WithOutcome.
type CallOption interface {
	applyCall(*call)
}

// call is the per-call configuration.
type call struct {
	durability Durability
	outcome    *Outcome
}

// Durability says when a run's checkpoints and task writes are stored
// (LangGraph's durability). Pass one to WithDurability for a graph's
// default, or to a call to override it there.
type Durability string

// The durability modes.
const (
	// DurabilitySync stores every step before the next one starts: a crash
	// loses at most the step that was running, and a node runs only once
	// its input is stored.
	DurabilitySync Durability = "sync"
	// DurabilityAsync stores each step in the background, in order, while
	// the next step runs. The call returns only once every write finished,
	// and returns the first write error; a failed write also stops the run
	// at its next step. A crash loses the steps not yet stored. The
	// default, as in LangGraph.
	//
	// An Invoke on the thread's head in this mode (not a Stream) starts
	// from the saver's cache of the thread and asks the store nothing
	// first, as a sync one does: its first write is stored only if the
	// thread's head is still the checkpoint it started from. If another
	// process or run moved the thread on before that write landed, nothing
	// of the run is stored and the run starts over once from the new head,
	// so its nodes run again: they run at least once, as after a crash.
	DurabilityAsync Durability = "async"
	// DurabilityExit stores nothing until the run ends (at END, on an
	// interrupt or on an error); then every checkpoint and write of the run
	// is stored at once, in one append on a saver.Committer. A crash
	// loses the whole run. Like an async run, it starts from the saver's
	// cache and starts over if the thread moved on before its write.
	DurabilityExit Durability = "exit"
)

func (d Durability) applyCall(c *call) { c.durability = d }

func (d Durability) check() error {
	switch d {
	case DurabilitySync, DurabilityAsync, DurabilityExit:
		return nil
	}
	return fmt.Errorf("durability %q: want %q, %q or %q", string(d), DurabilitySync, DurabilityAsync, DurabilityExit)
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
