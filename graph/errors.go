package graph

import (
	"errors"
	"fmt"
)

// ErrRecursionLimit is wrapped by the error of a call that ran as many
// supersteps as the recursion limit allows without reaching END. The thread
// keeps its last checkpoint; Resume continues from it.
var ErrRecursionLimit = errors.New("recursion limit reached")

// ErrNoCheckpointer is returned by the calls that read or write a thread's
// history (GetState, Resume, UpdateState, ...) on a graph compiled without
// WithCheckpointer.
var ErrNoCheckpointer = errors.New("graph has no checkpointer")

// NodeError is a node's failure: its error, or its panic as an error. The
// step that ran it saves no checkpoint; the failure is recorded as a pending
// write, and Resume runs the node again.
type NodeError struct {
	Node   string
	TaskID string
	Step   int
	Err    error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("node %q (step %d, task %s): %v", e.Node, e.Step, e.TaskID, e.Err)
}

// Unwrap returns the node's error.
func (e *NodeError) Unwrap() error { return e.Err }

// PanicError is a node's panic, turned into an error.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
