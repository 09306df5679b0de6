package graph

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/jetgraph/jetgraph/saver"
)

// Snapshot is a thread's state at one checkpoint.
//
// To decide whether to continue a thread (Resume, ResumeWith) or start a
// new turn (Invoke with input), read Status, not Next. Next follows
// LangGraph: it lists the tasks without writes yet, so it is also empty
// when a run stopped (a crash, a refused commit) after every task of a
// parallel step stored its writes but before the step's checkpoint was
// stored. That thread looks finished by Next, but its Status is
// StatusPending, and Resume finishes the run: it applies the stored
// writes, stores the step and runs the steps after it. New input instead
// would discard what the step left to do, as in LangGraph.
type Snapshot[S any] struct {
	// Values is the state. In GetState's latest snapshot it includes the
	// writes of the tasks that finished since the checkpoint.
	Values S
	// Status says whether the run is done, waits for a resume value, or
	// has work left (see the type's documentation).
	Status Status
	// Next lists the nodes that run next (tasks without writes yet); empty
	// at the end of a run, and also when every task of the step stored its
	// writes but the step's checkpoint is not stored (Status is then
	// StatusPending).
	Next []string
	// Config addresses this checkpoint.
	Config Config
	// ParentConfig addresses the checkpoint before it; nil for a thread's
	// first checkpoint.
	ParentConfig *Config
	// Metadata says what made the checkpoint (Source) and at which Step.
	Metadata saver.Metadata
	// CreatedAt is when the checkpoint was saved.
	CreatedAt time.Time
	// Tasks are the tasks of the next step, with the errors of those that
	// failed and the interrupts of those waiting for a resume value.
	Tasks []TaskInfo
	// Interrupts are the interrupts of all Tasks, waiting for ResumeWith.
	Interrupts []InterruptInfo
}

// Status says where a thread's run stands at a checkpoint.
type Status string

// The statuses of a Snapshot.
const (
	// StatusDone says nothing is left to run from the checkpoint: the run
	// reached END (or the thread is empty). New input starts a new turn.
	StatusDone Status = "done"
	// StatusPending says the run is not finished and Resume continues it:
	// tasks are left to run (after a crash, a failed node, the recursion
	// limit or a static interrupt), or every task of the step stored its
	// writes and only the step's checkpoint, and the steps after it, are
	// outstanding (Next is empty then).
	StatusPending Status = "pending"
	// StatusInterrupted says a node waits for a resume value
	// (Snapshot.Interrupts): ResumeWith answers it.
	StatusInterrupted Status = "interrupted"
)

// TaskInfo describes one task that runs from a checkpoint.
type TaskInfo struct {
	ID   string
	Name string
	// Done says the task finished: its writes are recorded.
	Done bool
	// Error is the task's last error, if it failed.
	Error string
	// Interrupts holds the task's pending interrupt, if it called
	// Interrupt and waits for ResumeWith.
	Interrupts []InterruptInfo
}

// GetState returns the thread's state at cfg.CheckpointID, or its latest
// state. A thread with no checkpoint gives a zero Snapshot; an unknown
// checkpoint id is an error matching saver.ErrNotFound. The slices of
// Values are shared with the graph's cache and must not be modified in
// place.
func (c *Graph[S]) GetState(ctx context.Context, cfg Config) (Snapshot[S], error) {
	var snap Snapshot[S]
	if err := c.checkThread(cfg); err != nil {
		return snap, err
	}
	tu, err := c.saver.GetTuple(ctx, cfg)
	if errors.Is(err, saver.ErrNotFound) && cfg.CheckpointID == "" {
		snap.Config, snap.Status = cfg, StatusDone
		return snap, nil
	}
	if err != nil {
		return snap, fmt.Errorf("get state of thread %q: %w", cfg.ThreadID, err)
	}
	return c.snapshot(tu, cfg.CheckpointID == "")
}

// HistoryParams narrows GetStateHistory. The zero value (or nil) keeps
// every snapshot.
type HistoryParams struct {
	// Filter keeps snapshots whose metadata has every key equal to its
	// value ("source", "step", "run_id" or a custom key).
	Filter map[string]any
	// Before keeps snapshots committed before this checkpoint id.
	Before string
	// Limit keeps at most this many snapshots; zero or less keeps all.
	Limit int
}

// GetStateHistory yields the thread's snapshots newest first in the order
// they were committed, every branch interleaved; hp narrows them (nil keeps
// all). cfg.CheckpointID is ignored; use HistoryParams.Before.
//
// A checkpoint whose stored data cannot be decoded is yielded as an error
// matching saver.ErrCorrupt (a *saver.CorruptError naming it), and the
// history goes on with the older checkpoints, which GetState also still
// reads: a caller that wants to stop there breaks out of the loop. Any
// other error ends the history.
func (c *Graph[S]) GetStateHistory(ctx context.Context, cfg Config, hp *HistoryParams) iter.Seq2[Snapshot[S], error] {
	return func(yield func(Snapshot[S], error) bool) {
		if err := c.checkThread(cfg); err != nil {
			yield(Snapshot[S]{}, err)
			return
		}
		p := saver.ListParams{ThreadID: cfg.ThreadID, Namespace: saver.NS(cfg.CheckpointNS)}
		if hp != nil {
			p.Filter, p.Before, p.Limit = hp.Filter, hp.Before, hp.Limit
		}
		for tu, err := range c.saver.List(ctx, p) {
			if err != nil {
				err = fmt.Errorf("history of thread %q: %w", cfg.ThreadID, err)
				if !yield(Snapshot[S]{}, err) || !errors.Is(err, saver.ErrCorrupt) {
					return
				}
				continue
			}
			snap, err := c.snapshot(tu, false)
			if !yield(snap, err) || (err != nil && !errors.Is(err, saver.ErrCorrupt)) {
				return
			}
		}
	}
}

func (c *Graph[S]) checkThread(cfg Config) error {
	if c.saver == nil {
		return fmt.Errorf("graph %q: %w", c.name, ErrNoCheckpointer)
	}
	if err := saver.ValidateThread(cfg.ThreadID); err != nil {
		return fmt.Errorf("graph %q: %w", c.name, err)
	}
	return nil
}

// snapshot describes a checkpoint. With applyPending (the latest state, as
// GetState shows it), the writes of tasks that finished are applied to the
// values and those tasks leave Next, as in LangGraph; history shows every
// checkpoint as it was saved.
func (c *Graph[S]) snapshot(tu *saver.Tuple, applyPending bool) (Snapshot[S], error) {
	p := pointFromTuple(tu)
	snap := Snapshot[S]{Config: tu.Config, ParentConfig: tu.ParentConfig, Metadata: tu.Metadata, CreatedAt: tu.Checkpoint.TS}
	state, err := c.decodeState(p)
	if err != nil {
		return snap, p.corrupt(tu.Config.ThreadID, err)
	}
	tasks, err := c.prepare(p)
	if err != nil {
		return snap, p.corrupt(tu.Config.ThreadID, err)
	}
	var finished []*task
	for _, t := range tasks {
		if w, done := writesOf(p.pending, t.id); done {
			t.writes = w
			finished = append(finished, t)
		}
	}
	if applyPending && len(finished) > 0 {
		next := p.child(saver.SourceLoop, p.md.Step+1, "")
		if err := c.apply(p, finished, next); err != nil {
			return snap, fmt.Errorf("checkpoint %s: pending writes: %w", tu.Config.CheckpointID, err)
		}
		state = next.state
	}
	snap.Values = c.view(state)
	for _, t := range tasks {
		_, done := writesOf(p.pending, t.id)
		info := TaskInfo{ID: t.id, Name: t.name, Done: done}
		for _, w := range p.pending {
			if w.TaskID == t.id && w.Channel == saver.ChannelError {
				s, _ := decodeStrings(w.Value)
				if len(s) == 1 {
					info.Error = s[0]
				}
			}
		}
		if raw, idx, ok := interruptOf(p.pending, t.id); ok && !done {
			in := interruptInfo(t, idx, raw)
			info.Interrupts = []InterruptInfo{in}
			snap.Interrupts = append(snap.Interrupts, in)
		}
		if !done || !applyPending {
			snap.Next = append(snap.Next, t.name)
		}
		snap.Tasks = append(snap.Tasks, info)
	}
	switch {
	case len(snap.Interrupts) > 0:
		snap.Status = StatusInterrupted
	case len(tasks) > 0:
		snap.Status = StatusPending
	default:
		snap.Status = StatusDone
	}
	return snap, nil
}

// UpdateState applies values to the thread's state as if node asNode had
// returned them: reducers apply, and the nodes that follow asNode run on the
// next Resume. asNode may be START (the input) or "" to infer it: the only
// node, or the node that ran last. It writes a checkpoint with source
// "update" whose parent is cfg's checkpoint (the latest if none), a new
// branch when that is not the latest, and returns its config. While a run
// holds the thread (see Graph), it fails with a *saver.BusyError, matching
// saver.ErrConflict, and writes nothing.
func (c *Graph[S]) UpdateState(ctx context.Context, cfg Config, values S, asNode string) (Config, error) {
	if err := c.checkThread(cfg); err != nil {
		return Config{}, err
	}
	fail := func(err error) (Config, error) {
		return Config{}, fmt.Errorf("update state of thread %q: %w", cfg.ThreadID, err)
	}
	cur := emptyPoint(threadKey(cfg.ThreadID, cfg.CheckpointNS))
	tu, err := c.saver.GetTuple(ctx, cfg)
	switch {
	case err == nil:
		cur = pointFromTuple(tu)
	case !errors.Is(err, saver.ErrNotFound) || cfg.CheckpointID != "":
		return fail(err)
	}
	if asNode == "" {
		if asNode, err = c.inferNode(cur); err != nil {
			return fail(err)
		}
	}
	if asNode != START && c.nodes[asNode] == nil {
		return fail(fmt.Errorf("as node: unknown node %q", asNode))
	}
	writes, err := c.taskWrites(ctx, cur, asNode, reflect.ValueOf(values), nil)
	if err != nil {
		return fail(fmt.Errorf("as node %q: %w", asNode, err))
	}
	next := cur.child(saver.SourceUpdate, cur.md.Step+1, "")
	if cur.id == "" {
		next.parentID = ""
		next.md.Step = -1
	}
	if err := c.apply(cur, []*task{{name: asNode, writes: writes}}, next); err != nil {
		return fail(err)
	}
	// On a saver.Committer the update is a run of its own: one append
	// that claims the thread and releases it, refused while a run holds it.
	k := &committer{s: c.saver, c: c.committer, mode: DurabilitySync, thread: cfg.ThreadID, ns: cfg.CheckpointNS, runID: uuid.Must(uuid.NewV7()).String()}
	if c.committer != nil {
		k.lease = c.lease
	}
	if err := k.store(ctx, [][]saver.Op{{next.put(cfg.ThreadID)}}, true); err != nil {
		return fail(err)
	}
	return next.config(cfg.ThreadID), nil
}

// inferNode picks the node an update is attributed to, as LangGraph does:
// the only node, else the node that saw the newest versions, else START on a
// thread where nothing ran.
func (c *Graph[S]) inferNode(p *point) (string, error) {
	if len(c.names) == 1 {
		return c.names[0], nil
	}
	best, second, node := uint64(0), uint64(0), ""
	for n, seen := range p.seen {
		if c.nodes[n] == nil {
			continue
		}
		for _, v := range seen {
			switch {
			case v > best:
				second, best, node = best, v, n
			case v > second && n != node:
				second = v
			}
		}
	}
	switch {
	case node == "":
		return START, nil
	case best == second:
		return "", errors.New("ambiguous update: several nodes ran last; name the node")
	}
	return node, nil
}

// Fork copies the checkpoint src names (the latest when src.CheckpointID is
// empty) into a new thread and returns the config of its first checkpoint.
// The cost does not depend on src's history when the saver is a
// saver.Forker; otherwise a fork checkpoint holding every value is written.
// newThread must not exist yet.
func (c *Graph[S]) Fork(ctx context.Context, src Config, newThread string) (Config, error) {
	if err := c.checkThread(src); err != nil {
		return Config{}, err
	}
	if err := saver.ValidateThread(newThread); err != nil {
		return Config{}, fmt.Errorf("fork: new %w", err)
	}
	if f, ok := c.saver.(saver.Forker); ok {
		out, err := f.ForkThread(ctx, src, newThread)
		if err != nil {
			return Config{}, fmt.Errorf("fork thread %q into %q: %w", src.ThreadID, newThread, err)
		}
		return out, nil
	}
	tu, err := c.saver.GetTuple(ctx, src)
	if err != nil {
		return Config{}, fmt.Errorf("fork thread %q: %w", src.ThreadID, err)
	}
	if _, err := c.saver.GetTuple(ctx, Config{ThreadID: newThread}); err == nil {
		return Config{}, fmt.Errorf("fork into %q: %w", newThread, &saver.ConflictError{ThreadID: newThread, Reason: "thread already exists"})
	}
	p := pointFromTuple(tu)
	next := p.child(saver.SourceFork, p.md.Step, "")
	next.parentID = ""
	next.newVersions = maps.Clone(p.versions)
	if _, err := c.saver.Put(ctx, saver.PutOp{Config: Config{ThreadID: newThread}, Checkpoint: next.checkpoint(), Metadata: next.md, NewVersions: next.newVersions}); err != nil {
		return Config{}, fmt.Errorf("fork into %q: %w", newThread, err)
	}
	return next.config(newThread), nil
}
