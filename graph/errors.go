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

// ErrInterrupted is returned by Interrupt when the run must pause for a
// resume value. The node should return it (a node that returns anything
// else after it is still interrupted: its result is discarded).
var ErrInterrupted = errors.New("interrupted: waiting for a resume value")

// ErrNotInterrupted is wrapped by the error of ResumeWith on a thread with
// no pending interrupt.
var ErrNotInterrupted = errors.New("no interrupt is pending")

// ErrOutsideNode is wrapped by the error of Interrupt called outside a
// running node.
var ErrOutsideNode = errors.New("called outside a running node")

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

// ConflictError is the error of a run that stored some of its work and
// then lost the thread: another writer changed it, or took it when the
// run's lease lapsed, and a later commit of the run was refused. What the
// run stored stays; Stored names the last checkpoint it stored (empty if
// it stored none, only writes), so the caller can Resume from there
// instead of sending the input again. It unwraps to the cause, which
// matches saver.ErrConflict.
type ConflictError struct {
	ThreadID string
	RunID    string
	Stored   Config
	Err      error
}

func (e *ConflictError) Error() string {
	stored := "no checkpoint"
	if e.Stored.CheckpointID != "" {
		stored = "up to checkpoint " + e.Stored.CheckpointID
	}
	return fmt.Sprintf("thread %q: run %s stored %s, then lost the thread (resume rather than send the input again): %v", e.ThreadID, e.RunID, stored, e.Err)
}

// Unwrap returns the cause.
func (e *ConflictError) Unwrap() error { return e.Err }
