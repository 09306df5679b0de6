package graph

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/jetgraph/jetgraph/saver"
)

// loop runs supersteps from cur until no task is left or an interrupt
// stops the run.
func (c *Graph[S]) loop(ctx context.Context, r *run, cur *point, emit func(*point, []*task) bool) (S, error) {
	var zero S
	for ran := 0; ; ran++ {
		tasks, err := c.prepare(cur)
		if err != nil {
			return zero, cur.corrupt(r.thread, err)
		}
		if len(tasks) == 0 || ran > c.limit {
			// What is left to store, finish stores when the run returns.
			if len(tasks) > 0 {
				return zero, fmt.Errorf("thread %q: %w: %d supersteps ran without reaching END (raise it with graph.WithRecursionLimit)", r.thread, ErrRecursionLimit, ran)
			}
			return c.result(cur, nil)
		}
		if err := ctx.Err(); err != nil {
			return zero, fmt.Errorf("thread %q: stopped before step %d: %w", r.thread, cur.md.Step+1, err)
		}
		step := cur.md.Step + 1
		for _, t := range tasks {
			if w, done := writesOf(cur.pending, t.id); done {
				t.recorded, t.writes = true, w
			}
			t.results = recordedResults(cur.pending, t.id)
			if rs, ok := r.resumes[t.id]; ok {
				t.resume = rs
			} else if t.resume, err = resumesOf(cur.pending, t.id); err != nil {
				return zero, fmt.Errorf("thread %q: step %d: %w", r.thread, step, err)
			}
		}
		if !(r.resumed && ran == 0) && slices.ContainsFunc(tasks, func(t *task) bool { return c.before[t.name] }) {
			return c.interrupted(r, cur, tasks)
		}
		inline, interrupted, err := c.runStep(ctx, r, cur, tasks, step)
		if err != nil {
			return zero, err
		}
		if interrupted {
			return c.interrupted(r, cur, tasks)
		}
		next := cur.child(saver.SourceLoop, step, r.runID)
		if err := c.apply(cur, tasks, next); err != nil {
			return zero, fmt.Errorf("thread %q: step %d: %w", r.thread, step, err)
		}
		var ops []saver.Op
		if inline != nil && inline.name != START {
			ops = append(ops, writesOp(cur.config(r.thread), inline.id, inline.writes))
		}
		// The step is stored before the next one runs (flush), or by
		// finish when it was the last.
		r.k.later(append(ops, next.put(r.thread))...)
		cur = next
		if emit != nil {
			if err := r.k.flush(ctx); err != nil {
				return zero, wrapCommit(r.thread, step, err)
			}
			if !emit(cur, tasks) {
				return c.result(cur, nil)
			}
		}
		if slices.ContainsFunc(tasks, func(t *task) bool { return c.after[t.name] }) {
			after, err := c.prepare(cur)
			if err != nil {
				return zero, fmt.Errorf("thread %q: %w", r.thread, err)
			}
			if len(after) > 0 {
				return c.interrupted(r, cur, after)
			}
		}
	}
}

// interrupted ends a run that stopped at p on an interrupt: it fills the
// outcome and returns the state with the finished tasks' writes applied, as
// GetState shows it.
func (c *Graph[S]) interrupted(r *run, p *point, tasks []*task) (S, error) {
	oc := Outcome{Interrupted: true, step: p.md.Step + 1}
	var finished []*task
	for _, t := range tasks {
		switch {
		case t.interrupt != nil:
			oc.Interrupts = append(oc.Interrupts, interruptInfo(t, len(t.resume), t.interrupt))
		case t.err == nil && t.writes != nil:
			finished = append(finished, t)
			continue
		}
		oc.Next = append(oc.Next, t.name)
	}
	if r.outcome != nil {
		*r.outcome = oc
	}
	if len(finished) == 0 {
		return c.result(p, nil)
	}
	next := p.child(saver.SourceLoop, p.md.Step+1, r.runID)
	if err := c.apply(p, finished, next); err != nil {
		var zero S
		return zero, fmt.Errorf("thread %q: step %d: %w", r.thread, p.md.Step+1, err)
	}
	return c.result(next, nil)
}

// runStep runs the unfinished tasks of a step. A lone task runs inline and
// is returned: its writes are committed with the next checkpoint. Several
// tasks run concurrently and each commits its writes as soon as it
// finishes, so a crash loses only the unfinished ones. A task that called
// Interrupt commits its interrupt instead; interrupted reports whether one
// did, after every other task finished.
func (c *Graph[S]) runStep(ctx context.Context, r *run, cur *point, tasks []*task, step int) (inline *task, interrupted bool, err error) {
	var todo []*task
	for _, t := range tasks {
		if !t.recorded {
			todo = append(todo, t)
		}
	}
	// No node runs on a state the thread does not have: before the first
	// node of the run runs, its input is stored and it holds the thread
	// (the START step, which only applies the input, need not wait).
	if slices.ContainsFunc(todo, func(t *task) bool { return t.name != START }) {
		if err := r.k.flush(ctx); err != nil {
			return nil, false, wrapCommit(r.thread, cur.md.Step, err)
		}
	}
	if len(todo) == 1 {
		t := todo[0]
		c.runTask(ctx, r, cur, t, step)
		if t.interrupt != nil && ctx.Err() == nil {
			r.k.later(writesOp(cur.config(r.thread), t.id, interruptWrite(t)))
			return nil, true, nil
		}
		if t.err != nil || t.interrupt != nil {
			return nil, false, c.fail(ctx, r, cur, t)
		}
		return t, false, nil
	}
	_, _ = c.decodeState(cur) // once, before the tasks share it; a failure shows in each task
	var wg sync.WaitGroup
	for _, t := range todo {
		wg.Go(func() {
			c.runTask(ctx, r, cur, t, step)
			if (t.err != nil && t.interrupt == nil) || ctx.Err() != nil {
				return
			}
			writes := t.writes
			if t.interrupt != nil {
				writes = interruptWrite(t)
			}
			if err := r.k.commit(ctx, writesOp(cur.config(r.thread), t.id, writes)); err != nil {
				t.err, t.interrupt = wrapCommit(r.thread, step, err), nil
			}
		})
	}
	wg.Wait()
	for _, t := range todo {
		if t.err != nil && t.interrupt == nil {
			return nil, false, c.fail(ctx, r, cur, t)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("thread %q: step %d stopped: %w", r.thread, step, err)
	}
	return nil, slices.ContainsFunc(todo, func(t *task) bool { return t.interrupt != nil }), nil
}

// fail records a failed task's error against cur, unless the run was
// cancelled, and returns the error for the caller.
func (c *Graph[S]) fail(ctx context.Context, r *run, cur *point, t *task) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("thread %q: step %d stopped: %w", r.thread, cur.md.Step+1, err)
	}
	var ne *NodeError
	if !errors.As(t.err, &ne) {
		return t.err // the saver failed, not the node
	}
	r.k.later(writesOp(cur.config(r.thread), t.id, errorWrite(ne.Err))) // finish stores it
	return t.err
}

// runTask runs one node and computes its writes. A panic becomes the task's
// error.
func (c *Graph[S]) runTask(ctx context.Context, r *run, cur *point, t *task, step int) {
	nodeErr := func(err error) *NodeError { return &NodeError{Node: t.name, TaskID: t.id, Step: step, Err: err} }
	defer func() {
		if p := recover(); p != nil {
			t.err = nodeErr(&PanicError{Value: p, Stack: debug.Stack()})
		}
	}()
	if t.name == START {
		upd, err := c.decodePacket(cur.values[START])
		if err == nil {
			t.update = upd
			t.writes, err = c.taskWrites(ctx, cur, START, upd, nil)
		}
		if err != nil {
			t.err = nodeErr(err)
		}
		return
	}
	in := t.input
	if !in.IsValid() {
		var err error
		if in, err = c.decodeState(cur); err != nil {
			t.err = nodeErr(err)
			return
		}
	}
	sc := &scope{taskID: t.id, node: t.name, cfg: cur.config(r.thread), run: r, recorded: t.results, resume: t.resume}
	nctx := context.WithValue(ctx, scopeKey{}, sc)
	out, err := c.nodes[t.name](nctx, c.view(in))
	if raw := sc.pendingInterrupt(); raw != nil {
		t.interrupt, t.err = raw, err
		return
	}
	if err != nil {
		t.err = nodeErr(err)
		return
	}
	upd := c.withMessageIDs(reflect.ValueOf(&out).Elem()) // the ids its writes store, for streaming
	t.update = upd
	if t.writes, err = c.taskWrites(nctx, cur, t.name, upd, sc.zero); err != nil {
		t.err = nodeErr(err)
	}
}
