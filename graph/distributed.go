package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jetgraph/jetgraph/saver"
)

// This file holds the entry points node runners (package runner) use to run
// a graph one task at a time, on any host: Status says where a checkpoint's
// run stands, RunTask runs one node from a checkpoint and stores its
// writes, FailTask records a task that will not finish, and Advance commits
// the step once every task of a checkpoint has written. Each reads the
// checkpoint it works on by id: checkpoints are immutable, so no stale cache
// can feed a node. The thread's log is the only serialization point: writes
// are keyed by task id (a repeated write keeps the first value), and two
// Advance calls on one checkpoint store one next checkpoint between them
// (a second input or loop child of a checkpoint is refused with
// saver.ErrConflict).

// ErrUnknownTask is returned by RunTask and FailTask for a task id that is
// not a task of the checkpoint.
var ErrUnknownTask = errors.New("not a task of the checkpoint")

// StepStatus says where the run that reached a checkpoint stands.
type StepStatus struct {
	// Config addresses the checkpoint.
	Config Config
	// Step is the checkpoint's step.
	Step int
	// Tasks are the tasks that run from the checkpoint, in the order their
	// writes apply: Done, Error and Interrupts come from the writes
	// recorded against it.
	Tasks []TaskInfo
	// End says no task runs from the checkpoint: the run reached END.
	End bool
	// Failed says a task failed (its Error is set) and did not finish:
	// the run stopped there.
	Failed bool
	// Interrupted says a task waits for a resume value and every other
	// task finished or waits too: the run stopped there.
	Interrupted bool
	// Ready says every task finished: the next step can be committed.
	Ready bool
	// Committed says the call that returned the status (Advance) stored
	// the checkpoint.
	Committed bool
}

// Running reports whether the run goes on from the checkpoint: it neither
// ended, failed nor stopped on an interrupt.
func (s StepStatus) Running() bool { return !s.End && !s.Failed && !s.Interrupted }

// Pending returns the tasks that have not finished, failed or been
// interrupted: those a runner must run.
func (s StepStatus) Pending() []TaskInfo {
	var out []TaskInfo
	for _, t := range s.Tasks {
		if !t.Done && t.Error == "" && len(t.Interrupts) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// TaskResult says what RunTask did.
type TaskResult struct {
	// Ran says the node ran in this call (false: the task had finished,
	// failed or been interrupted before).
	Ran bool
	// Interrupted says the node called Interrupt: its interrupt is stored
	// instead of writes.
	Interrupted bool
	// Node is the task's node.
	Node string
}

// Status reads the checkpoint cfg names (the thread's latest when
// cfg.CheckpointID is empty) and says where its run stands.
func (c *Graph[S]) Status(ctx context.Context, cfg Config) (StepStatus, error) {
	p, err := c.loadPoint(ctx, cfg)
	if err != nil {
		return StepStatus{}, err
	}
	if p.id == "" {
		return StepStatus{Config: cfg, End: true}, nil
	}
	st, _, err := c.status(ctx, cfg, p, "")
	return st, err
}

// RunTask runs task taskID of the checkpoint cfg names and stores its
// writes against that checkpoint, keyed by the task id, as a local run
// does (an interrupt is stored as the task's interrupt). A task that
// finished, failed or waits for a resume value is not run again. A node
// that fails returns a *NodeError and stores nothing: the caller retries it
// or records the failure with FailTask.
func (c *Graph[S]) RunTask(ctx context.Context, cfg Config, taskID string) (TaskResult, error) {
	if c.saver == nil {
		return TaskResult{}, fmt.Errorf("graph %q: run task: %w", c.name, ErrNoCheckpointer)
	}
	p, t, err := c.loadTask(ctx, cfg, taskID)
	if err != nil {
		return TaskResult{}, err
	}
	res := TaskResult{Node: t.name}
	if _, done := writesOf(p.pending, t.id); done || hasError(p.pending, t.id) {
		return res, nil
	}
	if _, _, waiting := interruptOf(p.pending, t.id); waiting {
		return res, nil
	}
	t.results = recordedResults(p.pending, t.id)
	if t.resume, err = resumesOf(p.pending, t.id); err != nil {
		return res, fmt.Errorf("thread %q: %w", cfg.ThreadID, err)
	}
	if _, err := c.decodeState(p); err != nil {
		return res, p.corrupt(cfg.ThreadID, err)
	}
	r := c.taskRun(cfg, p)
	step := p.md.Step + 1
	c.runTask(ctx, r, p, t, step)
	res.Ran = true
	writes := t.writes
	switch {
	case t.interrupt != nil && ctx.Err() == nil:
		res.Interrupted, writes = true, interruptWrite(t)
	case t.err != nil:
		return res, errors.Join(t.err, r.k.finish(ctx))
	case ctx.Err() != nil:
		return res, errors.Join(fmt.Errorf("thread %q: task %s stopped: %w", cfg.ThreadID, t.id, ctx.Err()), r.k.finish(ctx))
	}
	err = r.k.commit(ctx, writesOp(p.config(cfg.ThreadID), t.id, writes))
	if ferr := r.k.finish(ctx); err == nil {
		err = ferr
	}
	if err != nil {
		return res, wrapCommit(cfg.ThreadID, step, err)
	}
	return res, nil
}

// FailTask records that task taskID of the checkpoint cfg names failed for
// good, with reason as its error (saver.ChannelError), unless it finished:
// the run stops there, as a local run stops on a failed node, and GetState
// shows the error.
func (c *Graph[S]) FailTask(ctx context.Context, cfg Config, taskID, reason string) error {
	if c.saver == nil {
		return fmt.Errorf("graph %q: fail task: %w", c.name, ErrNoCheckpointer)
	}
	p, t, err := c.loadTask(ctx, cfg, taskID)
	if err != nil {
		return err
	}
	if _, done := writesOf(p.pending, t.id); done {
		return nil
	}
	if err := c.saver.PutWrites(ctx, saver.WritesOp{Config: p.config(cfg.ThreadID), Writes: errorWrite(errors.New(reason)), TaskID: t.id}); err != nil {
		return fmt.Errorf("thread %q: record failure of task %s: %w", cfg.ThreadID, t.id, err)
	}
	return nil
}

// Advance commits the step that follows the checkpoint cfg names if every
// task of that checkpoint finished, with the tasks' stored writes applied
// as a local run applies them, and returns the status of the new
// checkpoint (Committed set). Otherwise it stores nothing and returns the
// status of cfg's checkpoint. If another caller committed the step first,
// the error matches saver.ErrConflict and nothing is stored.
func (c *Graph[S]) Advance(ctx context.Context, cfg Config) (StepStatus, error) {
	if c.saver == nil {
		return StepStatus{}, fmt.Errorf("graph %q: advance: %w", c.name, ErrNoCheckpointer)
	}
	if cfg.CheckpointID == "" {
		return StepStatus{}, saver.Invalid("advance config", "needs a checkpoint id")
	}
	p, err := c.loadPoint(ctx, cfg)
	if err != nil {
		return StepStatus{}, err
	}
	st, tasks, err := c.status(ctx, cfg, p, "")
	if err != nil || !st.Ready {
		return st, err
	}
	step := p.md.Step + 1
	next := p.child(saver.SourceLoop, step, p.md.RunID)
	if err := c.apply(p, tasks, next); err != nil {
		return st, fmt.Errorf("thread %q: step %d: %w", cfg.ThreadID, step, err)
	}
	op := next.put(cfg.ThreadID).Put
	op.Config.CheckpointNS = cfg.CheckpointNS
	if _, err := c.saver.Put(ctx, saver.PutOp{Config: op.Config, Checkpoint: op.Checkpoint, Metadata: op.Metadata, NewVersions: op.NewVersions}); err != nil {
		return st, wrapCommit(cfg.ThreadID, step, err)
	}
	ncfg := Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: next.id}
	nst, _, err := c.status(ctx, ncfg, next, "")
	nst.Committed = true
	return nst, err
}

// loadPoint reads the checkpoint cfg names, or the latest; a thread with no
// checkpoint gives an empty point.
func (c *Graph[S]) loadPoint(ctx context.Context, cfg Config) (*point, error) {
	if c.saver == nil {
		return nil, fmt.Errorf("graph %q: %w", c.name, ErrNoCheckpointer)
	}
	tu, err := c.saver.GetTuple(ctx, cfg)
	if errors.Is(err, saver.ErrNotFound) && cfg.CheckpointID == "" {
		return emptyPoint(threadKey(cfg.ThreadID, cfg.CheckpointNS)), nil
	}
	if err != nil {
		return nil, fmt.Errorf("thread %q: load checkpoint %s: %w", cfg.ThreadID, cfg.CheckpointID, err)
	}
	return pointFromTuple(tu), nil
}

// loadTask reads the checkpoint cfg names and finds task taskID of it.
func (c *Graph[S]) loadTask(ctx context.Context, cfg Config, taskID string) (*point, *task, error) {
	if cfg.CheckpointID == "" {
		return nil, nil, saver.Invalid("task config", "needs a checkpoint id")
	}
	p, err := c.loadPoint(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	tasks, err := c.prepare(p)
	if err != nil {
		return nil, nil, p.corrupt(cfg.ThreadID, err)
	}
	for _, t := range tasks {
		if t.id == taskID {
			return p, t, nil
		}
	}
	return nil, nil, fmt.Errorf("thread %q: checkpoint %s: task %s: %w", cfg.ThreadID, p.id, taskID, ErrUnknownTask)
}

// taskRun is the run a lone task of p runs in: its commits (the task's
// writes, the results of the Task calls it makes) are stored at once, with
// no lease (runners share the thread; the log orders them), under the run
// id of the run that reached p.
func (c *Graph[S]) taskRun(cfg Config, p *point) *run {
	r := &run{thread: cfg.ThreadID, runID: p.md.RunID}
	r.k = &committer{s: c.saver, c: c.committer, mode: DurabilitySync, thread: cfg.ThreadID, ns: cfg.CheckpointNS, runID: r.runID}
	return r
}

// status says where the run at p stands; it also returns p's tasks with
// their recorded writes, for Advance. A static interrupt
// (WithInterruptBefore, WithInterruptAfter) stops the run at p unless p is
// the checkpoint resumed names (a Resume from it runs its tasks).
func (c *Graph[S]) status(ctx context.Context, cfg Config, p *point, resumed string) (StepStatus, []*task, error) {
	cfg.CheckpointID = p.id
	st := StepStatus{Config: cfg, Step: p.md.Step}
	tasks, err := c.prepare(p)
	if err != nil {
		return st, nil, p.corrupt(cfg.ThreadID, err)
	}
	if len(tasks) == 0 {
		st.End = true
		return st, nil, nil
	}
	done, waiting := 0, 0
	for _, t := range tasks {
		w, ok := writesOf(p.pending, t.id)
		info := TaskInfo{ID: t.id, Name: t.name, Done: ok}
		if ok {
			t.writes = w
			done++
		} else if msg, failed := errorOf(p.pending, t.id); failed {
			info.Error = msg
			st.Failed = true
		} else if raw, idx, ok := interruptOf(p.pending, t.id); ok {
			info.Interrupts = []InterruptInfo{interruptInfo(t, idx, raw)}
			waiting++
		}
		st.Tasks = append(st.Tasks, info)
	}
	switch {
	case st.Failed:
	case done == len(tasks):
		st.Ready = true
	case waiting > 0 && done+waiting == len(tasks):
		st.Interrupted = true
	case p.id != resumed:
		stop, err := c.staticStop(ctx, cfg, p, tasks)
		if err != nil {
			return st, nil, err
		}
		st.Interrupted = stop
	}
	return st, tasks, nil
}

// staticStop reports whether a static interrupt stops the run at p: one
// of p's tasks runs a node of WithInterruptBefore, or p is the loop
// checkpoint after a step that ran a node of WithInterruptAfter.
func (c *Graph[S]) staticStop(ctx context.Context, cfg Config, p *point, tasks []*task) (bool, error) {
	if slices.ContainsFunc(tasks, func(t *task) bool { return c.before[t.name] }) {
		return true, nil
	}
	if len(c.after) == 0 || p.md.Source != saver.SourceLoop || p.parentID == "" {
		return false, nil
	}
	parent, err := c.loadPoint(ctx, Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: p.parentID})
	if err != nil {
		return false, err
	}
	ran, err := c.prepare(parent)
	if err != nil {
		return false, parent.corrupt(cfg.ThreadID, err)
	}
	return slices.ContainsFunc(ran, func(t *task) bool { return c.after[t.name] }), nil
}

func hasError(pending []saver.PendingWrite, taskID string) bool {
	_, ok := errorOf(pending, taskID)
	return ok
}

// errorOf returns the error recorded for a task, if any.
func errorOf(pending []saver.PendingWrite, taskID string) (string, bool) {
	for _, w := range pending {
		if w.TaskID == taskID && w.Channel == saver.ChannelError {
			s, _ := decodeStrings(w.Value)
			if len(s) == 1 {
				return s[0], true
			}
			return "failed", true
		}
	}
	return "", false
}
