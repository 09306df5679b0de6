package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/jetgraph/jetgraph/saver"
)

// Config addresses a thread and optionally one of its checkpoints.
type Config = saver.Config

// run is one call of Invoke, Resume, ResumeWith or Stream.
type run struct {
	thread  string
	runID   string
	k       *committer
	resumed bool                // no new input: static interrupts before the first step are skipped
	resumes map[string][][]byte // ResumeWith: the resume values of the tasks it answers
	outcome *Outcome            // filled when the run stops on an interrupt

	// cached: the run read the latest checkpoint from the saver's cache
	// (saver.CachedGetter). Its first commit, made before any node runs,
	// stores the input only if that checkpoint is still the latest
	// (saver.PutOp.IfLatest); if it is not, nothing of the run is stored
	// and it starts over from a fresh read. This saves the read's round
	// trip to the store.
	cached bool
}

// Invoke runs the graph with input on the thread cfg names and returns the
// final state. On a thread with history, input is applied on top of the
// latest checkpoint (multi-turn memory). With cfg.CheckpointID set, the run
// starts from that checkpoint on a new branch; if the thread does not hold
// that checkpoint but another thread does, the checkpoint is forked into
// cfg.ThreadID first (fork by config).
//
// A run that stops on an interrupt returns the state so far and no error;
// pass WithOutcome to learn that it did, or read GetState. The state's
// slices are shared with the graph's cache and must not be modified in
// place (see the package documentation).
func (c *Graph[S]) Invoke(ctx context.Context, input S, cfg Config, opts ...CallOption) (S, error) {
	return c.execute(ctx, &input, cfg, nil, nil, opts)
}

// Resume continues the thread without new input (LangGraph's
// invoke(None, config)). On the latest checkpoint it runs only the tasks
// that have not finished (a crash, a failed node, the recursion limit, a
// static interrupt); tasks that finished keep their recorded writes. With
// cfg.CheckpointID set it replays from that checkpoint: a fork checkpoint
// is written and every task of that step and after runs again on the new
// branch. Resuming a thread with nothing left to run returns its state and
// writes nothing. A thread whose Snapshot.Status is StatusPending is always
// finished by Resume, including one whose last step stored every task's
// writes but not its checkpoint (Next empty): the writes are applied, the
// step stored, and the steps after it run.
func (c *Graph[S]) Resume(ctx context.Context, cfg Config, opts ...CallOption) (S, error) {
	return c.execute(ctx, nil, cfg, nil, nil, opts)
}

// ResumeWith answers the interrupt pending on the thread's latest
// checkpoint with value (LangGraph's Command(resume=value)) and continues
// the run: the interrupted node runs again from the top and its Interrupt
// call returns value. With several interrupts pending, value must be a
// ResumeMap. The value is recorded on saver.ChannelResume, so a node that
// interrupts again later still gets its earlier answers. A thread with no
// pending interrupt is an error wrapping ErrNotInterrupted.
func (c *Graph[S]) ResumeWith(ctx context.Context, cfg Config, value any, opts ...CallOption) (S, error) {
	return c.execute(ctx, nil, cfg, nil, &value, opts)
}

func (c *Graph[S]) execute(ctx context.Context, input *S, cfg Config, emit func(*point, []*task) bool, resume *any, opts []CallOption) (S, error) {
	if c.dispatcher != nil && emit == nil {
		// Hook for distributed runs (WithDispatcher): node runners run the
		// nodes; dispatch stores the input through execute with an emit.
		return c.dispatch(ctx, input, cfg, resume, opts)
	}
	var zero S
	cl := call{durability: c.durable}
	for _, o := range opts {
		o.applyCall(&cl)
	}
	if err := cl.durability.check(); err != nil {
		return zero, fmt.Errorf("graph %q: %w", c.name, err)
	}
	if cl.resume != nil {
		switch {
		case resume != nil:
			return zero, fmt.Errorf("graph %q: resume: WithResume with ResumeWith: two resume values", c.name)
		case input != nil && !reflect.ValueOf(input).Elem().IsZero():
			return zero, fmt.Errorf("graph %q: resume: WithResume with new input: a resume continues the run, pass a zero input", c.name)
		}
		input, resume = nil, cl.resume
	}
	if cl.outcome != nil {
		*cl.outcome = Outcome{}
	}
	if c.saver == nil && input == nil {
		return zero, fmt.Errorf("graph %q: resume: %w", c.name, ErrNoCheckpointer)
	}
	if c.saver != nil {
		if err := saver.ValidateThread(cfg.ThreadID); err != nil {
			return zero, fmt.Errorf("graph %q: %w", c.name, err)
		}
	}
	newRun := func(cached bool) *run {
		r := &run{
			thread: cfg.ThreadID, runID: uuid.Must(uuid.NewV7()).String(),
			resumed: input == nil, outcome: cl.outcome, cached: cached,
		}
		r.k = &committer{s: c.saver, c: c.committer, mode: cl.durability, thread: cfg.ThreadID, ns: cfg.CheckpointNS, runID: r.runID}
		if c.committer != nil {
			r.k.lease = c.lease
			r.k.released = func() { c.leases.released(cfg.ThreadID) }
		}
		return r
	}
	// A run with new input on the thread's head stores it, with its claim
	// on the thread, before any node runs (sync and async modes); if that
	// first commit finds that the head moved on, nothing ran and nothing
	// was stored, and the run starts over once from a fresh read. So such
	// a run may start from the saver's cache. An exit run stores nothing
	// until it ends, when its nodes have run: it reads the head from the
	// store, and a refused commit is its error.
	restart := c.saver != nil && input != nil && cfg.CheckpointID == "" && cl.durability != DurabilityExit
	cached := restart && c.cached != nil
	for {
		r := newRun(cached)
		var wait <-chan struct{}
		if cl.waitIfBusy {
			wait = c.leases.wait(cfg.ThreadID) // before the run: a release while it runs counts
		}
		out, err := c.runAndFinish(ctx, r, input, cfg, resume, emit)
		switch busy := r.k.refusedAsBusy(); {
		case restart && r.k.refusedAsStale():
			restart, cached = false, false // another process moved the thread on: read it
		case busy != nil && cl.waitIfBusy:
			if werr := waitForLease(ctx, busy, wait); werr != nil {
				return out, errors.Join(err, werr)
			}
			cached = false
		default:
			return out, err
		}
		if cl.outcome != nil {
			*cl.outcome = Outcome{}
		}
	}
}

// runAndFinish runs r and waits for its writes; it returns the run's error
// or, failing that, the first write error.
func (c *Graph[S]) runAndFinish(ctx context.Context, r *run, input *S, cfg Config, resume *any, emit func(*point, []*task) bool) (S, error) {
	out, err := c.start(ctx, r, input, cfg, resume, emit)
	if ferr := r.k.finish(ctx); ferr != nil {
		var zero S
		if err != nil && errors.Is(err, ferr) {
			return zero, err // the run already stopped on it
		}
		return zero, errors.Join(err, fmt.Errorf("thread %q: save: %w", r.thread, ferr))
	}
	return out, err
}

// start loads the checkpoint the run starts from, applies the input or the
// resume value, and runs the loop.
func (c *Graph[S]) start(ctx context.Context, r *run, input *S, cfg Config, resume *any, emit func(*point, []*task) bool) (S, error) {
	var zero S
	cur, replay, isHead, err := c.load(ctx, cfg, r.cached)
	if err != nil {
		return zero, err
	}
	// Decoded before the points that follow copy its values: they then
	// share the decode cache's bytes, which reducers extend without a copy.
	if _, err := c.decodeState(cur); err != nil {
		return zero, cur.corrupt(r.thread, err)
	}
	if input != nil {
		if replay && !isHead {
			f := cur.child(saver.SourceFork, cur.md.Step, r.runID)
			r.k.later(f.put(r.thread))
			cur = f
		}
		step := -1
		if cur.id != "" {
			step = cur.md.Step + 1
		}
		in := cur.child(saver.SourceInput, step, r.runID)
		if cur.id == "" {
			in.parentID = ""
		}
		// New input discards the tasks the checkpoint left unfinished, as
		// LangGraph does: they are marked seen and their triggers consumed.
		discard, err := c.prepare(cur)
		if err == nil {
			err = c.apply(cur, discard, in)
		}
		if err != nil {
			return zero, fmt.Errorf("thread %q: input: %w", r.thread, err)
		}
		packet, err := c.encodePacket(reflect.ValueOf(input).Elem())
		if err != nil {
			return zero, fmt.Errorf("thread %q: input: %w", r.thread, err)
		}
		in.write(START, packet, false, cur.nextVersion())
		op := in.put(r.thread)
		op.Put.IfLatest = isHead // stored only on the head the run read
		r.k.later(op)
		cur = in
	} else {
		if cur.id == "" {
			return zero, fmt.Errorf("resume: %w", &saver.NotFoundError{ThreadID: cfg.ThreadID})
		}
		if resume != nil {
			if replay && !isHead {
				return zero, fmt.Errorf("thread %q: resume with a value: checkpoint %s is not the latest; interrupts are answered on the latest", r.thread, cur.id)
			}
			targets, err := c.resumeTargets(cur, *resume)
			if errors.Is(err, ErrNotInterrupted) {
				// Another run may have answered the interrupt and still be
				// running: then the thread is busy, not uninterrupted.
				if busy := r.k.probe(ctx); busy != nil {
					return zero, fmt.Errorf("thread %q: resume with a value: %w", r.thread, busy)
				}
			}
			if err != nil {
				return zero, fmt.Errorf("thread %q: resume with a value: %w", r.thread, err)
			}
			for _, id := range slices.Sorted(maps.Keys(targets)) {
				r.k.later(writesOp(cur.config(r.thread), id, resumeWrite(targets[id])))
			}
			r.resumes = targets
			r.k.claimIfLatest = cur.id
		} else if !replay {
			r.k.claimIfLatest = cur.id // a resume built on a moved head is refused
		} else {
			tasks, err := c.prepare(cur)
			if err != nil || len(tasks) == 0 {
				if err == nil && emit != nil {
					emit(cur, nil)
				}
				return c.result(cur, err)
			}
			f := cur.child(saver.SourceFork, cur.md.Step, r.runID)
			r.k.later(f.put(r.thread))
			cur = f
		}
		// A resume shows the state it starts from first, as LangGraph's
		// stream does (no tasks: the values part only), once it holds the
		// thread if it has work to do: a run refused as busy, and tried
		// again, shows it once; one with nothing to run stores nothing.
		if emit != nil {
			if tasks, err := c.prepare(cur); err == nil && len(tasks) > 0 {
				if err := r.k.flush(ctx); err != nil {
					return zero, wrapCommit(r.thread, cur.md.Step, err)
				}
			}
			if !emit(cur, nil) {
				return c.result(cur, nil)
			}
		}
	}
	return c.loop(ctx, r, cur, emit)
}

// load reads the checkpoint a run starts from: the one cfg names (replay),
// forked in from another thread if need be, or the thread's latest, from
// the saver's cache if cached.
func (c *Graph[S]) load(ctx context.Context, cfg Config, cached bool) (cur *point, replay, isHead bool, err error) {
	if c.saver == nil {
		return emptyPoint(""), false, true, nil
	}
	get := c.saver.GetTuple
	if cached && cfg.CheckpointID == "" {
		get = c.cached.GetTupleCached
	}
	tu, err := get(ctx, cfg)
	if cfg.CheckpointID == "" {
		if errors.Is(err, saver.ErrNotFound) {
			return emptyPoint(threadKey(cfg.ThreadID, cfg.CheckpointNS)), false, true, nil
		}
		if err != nil {
			return nil, false, false, fmt.Errorf("thread %q: load latest checkpoint: %w", cfg.ThreadID, err)
		}
		return pointFromTuple(tu), false, true, nil
	}
	if errors.Is(err, saver.ErrNotFound) {
		tu, err = c.forkByConfig(ctx, cfg, err)
	}
	if err != nil {
		return nil, false, false, fmt.Errorf("thread %q: load checkpoint %s: %w", cfg.ThreadID, cfg.CheckpointID, err)
	}
	head, err := c.saver.GetTuple(ctx, Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS})
	if err != nil {
		return nil, false, false, fmt.Errorf("thread %q: load latest checkpoint: %w", cfg.ThreadID, err)
	}
	return pointFromTuple(tu), true, head.Checkpoint.ID == tu.Checkpoint.ID, nil
}

// forkByConfig handles a config whose checkpoint id belongs to another
// thread: it forks that checkpoint into cfg.ThreadID, when that thread does
// not exist yet. On an existing thread the checkpoint is not found, and
// the error does not say which thread holds it.
func (c *Graph[S]) forkByConfig(ctx context.Context, cfg Config, notFound error) (*saver.Tuple, error) {
	loc, ok := c.saver.(saver.Locator)
	if !ok {
		return nil, notFound
	}
	if _, err := c.saver.GetTuple(ctx, Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS}); !errors.Is(err, saver.ErrNotFound) {
		if err != nil {
			return nil, err
		}
		return nil, notFound
	}
	src, err := loc.Locate(ctx, cfg.CheckpointID)
	if err != nil {
		return nil, err
	}
	if src.ThreadID == cfg.ThreadID {
		return nil, notFound
	}
	forked, err := c.Fork(ctx, src, cfg.ThreadID)
	if err != nil {
		return nil, err
	}
	return c.saver.GetTuple(ctx, forked)
}

// result returns the state of p as the caller sees it.
func (c *Graph[S]) result(p *point, err error) (S, error) {
	var zero S
	if err != nil {
		return zero, err
	}
	state, err := c.decodeState(p)
	if err != nil {
		return zero, err
	}
	return c.view(state), nil
}

// encodePacket encodes an input or Send state: its non-zero channels.
func (c *Graph[S]) encodePacket(v reflect.Value) ([]byte, error) {
	writes, err := c.encodeValues(c.withMessageIDs(v), nil) // ids fixed once, not on each decode
	if err != nil {
		return nil, err
	}
	m := make(map[string][]byte, len(writes))
	for _, w := range writes {
		m[w.Channel] = w.Value
	}
	return encodeAny(reflect.ValueOf(m))
}

func (c *Graph[S]) decodePacket(b []byte) (reflect.Value, error) {
	var m map[string][]byte
	dec, _, err := newDecoder(b)
	if err == nil {
		err = dec.Decode(&m)
	}
	if err != nil {
		return reflect.Value{}, fmt.Errorf("decode input: %w", err)
	}
	return c.decodeValues(m)
}
