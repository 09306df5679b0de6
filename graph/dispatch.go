package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jetgraph/jetgraph/saver"
)

// Dispatcher hands a graph's runs to node runners on other hosts (package
// runner implements it on NATS JetStream). See WithDispatcher.
type Dispatcher interface {
	// Bind records that the runs of thread belong to the graph named
	// graph. It is called before a dispatched run stores anything, so a
	// runner that finds the thread's next step in the log knows which
	// graph to run.
	Bind(ctx context.Context, graph, thread string) error
	// Dispatch hands the tasks of the checkpoint cfg names to the runners.
	// Handing a task over twice is harmless.
	Dispatch(ctx context.Context, graph string, cfg Config, tasks []TaskInfo) error
	// Watch returns a channel that receives a value after something is
	// stored on thread (it may drop values while the receiver is behind,
	// never the last one), and stop, which releases it.
	Watch(ctx context.Context, thread string) (changed <-chan struct{}, stop func(), err error)
}

// WithDispatcher makes Invoke, Resume and ResumeWith hand runs to node
// runners instead of running nodes in this process: the call stores the
// input (the input checkpoint and step 0, as a local run does), hands the
// first step's tasks to d, and waits, until its context ends, for the
// thread to reach END, an interrupt or a failed task; it returns the state
// a local run would. A task that failed for good is an error wrapping a
// *NodeError whose Err holds the recorded message. The graph must have a
// checkpointer the runners share. Stream still runs in this process.
// Static interrupts (WithInterruptBefore, WithInterruptAfter) stop
// dispatched runs as they stop local ones; the recursion limit is not
// applied to dispatched runs.
func WithDispatcher(d Dispatcher) Option { return func(o *options) { o.dispatcher = d } }

// dispatch is execute for a graph with a Dispatcher.
func (c *Graph[S]) dispatch(ctx context.Context, input *S, cfg Config, resume *any, opts []CallOption) (S, error) {
	var zero S
	var cl call
	for _, o := range opts {
		o.applyCall(&cl)
	}
	if cl.outcome != nil {
		*cl.outcome = Outcome{}
	}
	if c.saver == nil {
		return zero, fmt.Errorf("graph %q: dispatch: %w", c.name, ErrNoCheckpointer)
	}
	if err := saver.ValidateThread(cfg.ThreadID); err != nil {
		return zero, fmt.Errorf("graph %q: %w", c.name, err)
	}
	if err := c.dispatcher.Bind(ctx, c.name, cfg.ThreadID); err != nil {
		return zero, fmt.Errorf("graph %q: thread %q: dispatch: %w", c.name, cfg.ThreadID, err)
	}
	changed, stop, err := c.dispatcher.Watch(ctx, cfg.ThreadID)
	if err != nil {
		return zero, fmt.Errorf("graph %q: thread %q: watch: %w", c.name, cfg.ThreadID, err)
	}
	defer stop()
	from := Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS}
	switch {
	case input != nil:
		// Run the START step here, as a local run does, and stop after it:
		// its checkpoint is stored when execute returns.
		var stored string
		emit := func(p *point, _ []*task) bool {
			stored = p.id
			return false
		}
		if _, err := c.execute(ctx, input, cfg, emit, nil, opts); err != nil {
			return zero, err
		}
		from.CheckpointID = stored
	case resume != nil:
		if from.CheckpointID, err = c.answer(ctx, cfg, *resume); err != nil {
			return zero, err
		}
	default:
		if cfg.CheckpointID != "" {
			return zero, fmt.Errorf("graph %q: thread %q: resume from checkpoint %s: dispatched runs resume the latest checkpoint only", c.name, cfg.ThreadID, cfg.CheckpointID)
		}
	}
	p, err := c.loadPoint(ctx, from)
	if err != nil {
		return zero, err
	}
	// A resumed run runs the tasks a static interrupt stopped it before.
	resumed := ""
	if input == nil {
		resumed = p.id
	}
	st, _, err := c.status(ctx, from, p, resumed)
	if err != nil {
		return zero, err
	}
	if st.Running() && !st.Ready {
		if err := c.dispatcher.Dispatch(ctx, c.name, st.Config, st.Pending()); err != nil {
			return zero, fmt.Errorf("graph %q: thread %q: dispatch: %w", c.name, cfg.ThreadID, err)
		}
	}
	return c.await(ctx, cfg, changed, cl.outcome, resumed)
}

// answer stores value as the answer to the interrupts pending on the
// thread's latest checkpoint and returns that checkpoint's id.
func (c *Graph[S]) answer(ctx context.Context, cfg Config, value any) (string, error) {
	p, err := c.loadPoint(ctx, Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS})
	if err != nil {
		return "", err
	}
	if p.id == "" {
		return "", fmt.Errorf("resume: %w", &saver.NotFoundError{ThreadID: cfg.ThreadID})
	}
	targets, err := c.resumeTargets(p, value)
	if err != nil {
		return "", fmt.Errorf("thread %q: resume with a value: %w", cfg.ThreadID, err)
	}
	for _, id := range slices.Sorted(maps.Keys(targets)) {
		if err := c.saver.PutWrites(ctx, saver.WritesOp{Config: p.config(cfg.ThreadID), Writes: resumeWrite(targets[id]), TaskID: id}); err != nil {
			return "", fmt.Errorf("thread %q: resume with a value: %w", cfg.ThreadID, err)
		}
	}
	return p.id, nil
}

// await waits until the thread's latest checkpoint ends the run (END, an
// interrupt or a failed task), re-reading it whenever changed says the
// thread moved, and returns the state as a local run would.
// Static interrupts do not stop it at the checkpoint resumed names.
func (c *Graph[S]) await(ctx context.Context, cfg Config, changed <-chan struct{}, outcome *Outcome, resumed string) (S, error) {
	var zero S
	head := Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS}
	for {
		p, err := c.loadPoint(ctx, head)
		if err != nil {
			return zero, err
		}
		st, tasks, err := c.status(ctx, head, p, resumed)
		if err != nil {
			return zero, err
		}
		switch {
		case st.End:
			return c.result(p, nil)
		case st.Failed:
			for _, t := range st.Tasks {
				if t.Error != "" {
					return zero, fmt.Errorf("thread %q: %w", cfg.ThreadID, &NodeError{Node: t.Name, TaskID: t.ID, Step: st.Step + 1, Err: errors.New(t.Error)})
				}
			}
		case st.Interrupted:
			for _, t := range tasks {
				if raw, _, ok := interruptOf(p.pending, t.id); ok {
					t.interrupt = raw
					t.resume, _ = resumesOf(p.pending, t.id) // its answered calls: the interrupt's index
				}
			}
			return c.interrupted(&run{thread: cfg.ThreadID, outcome: outcome}, p, tasks)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return zero, fmt.Errorf("thread %q: wait for node runners at step %d: %w", cfg.ThreadID, st.Step+1, context.Cause(ctx))
		}
	}
}
