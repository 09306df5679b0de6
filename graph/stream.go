package graph

import (
	"context"
	"iter"
	"reflect"
	"slices"
)

// StreamMode selects what Stream yields.
type StreamMode int

// The stream modes.
const (
	// StreamValues yields the whole state after every step.
	StreamValues StreamMode = iota
	// StreamUpdates yields each node's update after every step, one part
	// per node, in the order the updates applied.
	StreamUpdates
)

// StreamPart is one value Stream yields.
type StreamPart[S any] struct {
	// Step is the step that produced the part.
	Step int
	// Node is the node whose update Values holds (StreamUpdates); "" in
	// StreamValues mode.
	Node string
	// Values is the state after the step (StreamValues) or the node's
	// update (StreamUpdates); for the interrupt part, the state so far.
	Values S
	// Interrupted marks the last part of a run that stopped on an
	// interrupt; its Node is InterruptNode.
	Interrupted bool
	// Interrupts are the pending Interrupt values (the interrupt part only).
	Interrupts []InterruptInfo
}

// InterruptNode is the Node of the stream part that reports an interrupt,
// as LangGraph's "__interrupt__" key.
const InterruptNode = "__interrupt__"

// Stream runs like Invoke, or like Resume when input is nil (like
// ResumeWith with WithResume), and yields what each step produced as it is
// saved. Breaking out of the loop stops the run after the current step; the
// thread keeps everything saved so far. A failure is yielded as the last
// error; a run that stops on an interrupt ends with a part whose
// Interrupted is set.
//
// As in LangGraph: in StreamValues mode a resume (nil input) first yields
// the state it starts from, and a step whose nodes wrote no state channel
// yields no part.
func (c *Graph[S]) Stream(ctx context.Context, input *S, cfg Config, mode StreamMode, opts ...CallOption) iter.Seq2[StreamPart[S], error] {
	return func(yield func(StreamPart[S], error) bool) {
		var user call
		for _, o := range opts {
			o.applyCall(&user)
		}
		var oc Outcome
		opts = append(slices.Clone(opts), WithOutcome(&oc))
		stopped := false
		// emit yields what a step produced; tasks is nil for the state a
		// resume starts from, which only StreamValues shows.
		emit := func(p *point, tasks []*task) bool {
			if mode == StreamValues {
				if tasks != nil && !c.wroteState(tasks) {
					return true // as LangGraph: no values part for a step that wrote no channel
				}
				s, err := c.result(p, nil)
				stopped = !yield(StreamPart[S]{Step: p.md.Step, Values: s}, err)
				return !stopped && err == nil
			}
			for _, t := range tasks {
				if t.name == START {
					continue
				}
				upd := t.update
				if !upd.IsValid() {
					var err error
					if upd, err = c.updateFromWrites(t.writes); err != nil {
						stopped = !yield(StreamPart[S]{}, err)
						return false
					}
				}
				if !yield(StreamPart[S]{Step: p.md.Step, Node: t.name, Values: c.view(reflect.ValueOf(upd.Interface()))}, nil) {
					stopped = true
					return false
				}
			}
			return true
		}
		out, err := c.execute(ctx, input, cfg, emit, nil, opts)
		if user.outcome != nil {
			*user.outcome = oc
		}
		switch {
		case err != nil && !stopped:
			yield(StreamPart[S]{}, err)
		case err == nil && oc.Interrupted:
			yield(StreamPart[S]{Step: oc.step, Node: InterruptNode, Values: out, Interrupted: true, Interrupts: oc.Interrupts}, nil)
		}
	}
}

// wroteState reports whether a task of a step wrote a state channel.
func (c *Graph[S]) wroteState(tasks []*task) bool {
	for _, t := range tasks {
		for _, w := range t.writes {
			if c.schema.byName[w.Channel] != nil {
				return true
			}
		}
	}
	return false
}
