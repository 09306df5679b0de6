package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// outboxWorkers is how many outbox events a runner handles at once.
const outboxWorkers = 4

// fetchWait bounds one pull request, so that Stop is seen soon.
const fetchWait = 2 * time.Second

// Runner pulls tasks of its graphs from the task stream and runs them.
// Create it with New, then Start it; Stop drains it.
type Runner struct {
	cfg    Config
	q      *queue
	graphs map[string]Graph
	tasks  jetstream.Consumer
	outbox jetstream.Consumer
	log    *slog.Logger
	m      *Metrics

	mu        sync.Mutex
	started   bool
	stopFetch context.CancelFunc
	cancelRun context.CancelFunc
	wg        sync.WaitGroup
	ready     atomic.Bool
}

// New creates (or updates) the task stream, the bindings bucket, the
// runners' task consumer and the outbox consumer on the saver's event
// stream, and returns a runner that is not started yet.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q, err := openQueue(ctx, cfg.JetStream, cfg.Names, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, q: q, graphs: map[string]Graph{}, log: cfg.Logger, m: cfg.Metrics}
	if r.m == nil {
		r.m = NewMetrics(nil)
	}
	for _, g := range cfg.Graphs {
		r.graphs[g.Name()] = g
	}
	r.tasks, err = cfg.JetStream.CreateOrUpdateConsumer(ctx, cfg.Names.Stream, jetstream.ConsumerConfig{
		Durable:   cfg.Names.Consumer,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   cfg.AckWait,
		// No limit on the server: a delivery past Config.MaxDeliver records
		// the failure without running, and a runner that dies doing so
		// leaves the task to be delivered again, never dropped.
		MaxDeliver:    -1,
		MaxAckPending: 10_000,
	})
	if err != nil {
		return nil, fmt.Errorf("create task consumer %s: %w", cfg.Names.Consumer, err)
	}
	lc := cfg.Saver.EventLog().Config()
	r.outbox, err = cfg.JetStream.CreateOrUpdateConsumer(ctx, lc.Stream, jetstream.ConsumerConfig{
		Durable:   cfg.Names.Outbox,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   cfg.AckWait,
		// From the events appended after the consumer is first created: a
		// client hands a run's first tasks over itself, and the outbox
		// only has to cover runners, which exist after it does.
		DeliverPolicy: jetstream.DeliverNewPolicy,
		FilterSubject: lc.Prefix + ".>",
		MaxAckPending: 10_000,
	})
	if err != nil {
		return nil, fmt.Errorf("create outbox consumer %s: %w", cfg.Names.Outbox, err)
	}
	return r, nil
}

// Start starts pulling tasks (Config.Concurrency at a time) and outbox
// events. It returns at once; the runner runs until Stop.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("runner: already started")
	}
	r.started = true
	fetch, stopFetch := context.WithCancel(context.WithoutCancel(ctx))
	run, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	r.stopFetch, r.cancelRun = stopFetch, cancelRun
	for range r.cfg.Concurrency {
		r.wg.Go(func() { r.pull(fetch, r.tasks, func(m jetstream.Msg) { r.handleTask(run, m) }) })
	}
	for range outboxWorkers {
		r.wg.Go(func() { r.pull(fetch, r.outbox, func(m jetstream.Msg) { r.handleEvent(run, m) }) })
	}
	r.ready.Store(true)
	r.log.Info("runner started", "concurrency", r.cfg.Concurrency, "ack_wait", r.cfg.AckWait, "max_deliver", r.cfg.MaxDeliver, "graphs", len(r.graphs))
	return nil
}

// Ready reports whether the runner is started and not stopping.
func (r *Runner) Ready() bool { return r.ready.Load() }

// Stop stops pulling and waits for the tasks in flight to finish (drain);
// when ctx ends first, it cancels them (their tasks are delivered again
// elsewhere) and waits for them to return.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
		return nil
	}
	r.ready.Store(false)
	r.stopFetch()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("runner: stop: tasks in flight cancelled: %w", ctx.Err())
		r.cancelRun()
		<-done
	}
	r.cancelRun()
	r.log.Info("runner stopped")
	return err
}

// pull hands messages of c to handle, one at a time, until ctx ends.
func (r *Runner) pull(ctx context.Context, c jetstream.Consumer, handle func(jetstream.Msg)) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, fetchWait)
		m, err := c.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
				continue
			}
			r.log.Warn("pull failed", "consumer", c.CachedInfo().Name, "err", err)
			t := time.NewTimer(time.Second)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		handle(m)
	}
}

// handleTask runs one delivered task.
func (r *Runner) handleTask(ctx context.Context, m jetstream.Msg) {
	tm, ok := decodeTask(m.Data())
	if !ok {
		r.log.Error("dropping malformed task message", "data", string(m.Data()))
		_ = m.Term()
		return
	}
	log := r.log.With("graph", tm.Graph, "thread", tm.Thread, "checkpoint", tm.Checkpoint, "task", tm.Task, "node", tm.Node)
	g := r.graphs[tm.Graph]
	if g == nil {
		log.Error("task of a graph this runner does not host")
		_ = m.NakWithDelay(r.cfg.AckWait)
		return
	}
	delivered := uint64(1)
	if md, err := m.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	if delivered > 1 {
		r.m.TasksRedelivered.Inc()
	}
	cfg := tm.config()
	if delivered > uint64(r.cfg.MaxDeliver) {
		reason := fmt.Sprintf("node %q: gave up after %d deliveries: no runner finished it (it crashed or hung its runner)", tm.Node, r.cfg.MaxDeliver)
		r.fail(ctx, log, g, m, cfg, tm, reason)
		return
	}
	stop := r.inProgress(m)
	r.m.TasksStarted.Inc()
	r.m.InFlight.Inc()
	start := time.Now()
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if r.cfg.TaskTimeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, r.cfg.TaskTimeout)
	}
	res, err := g.RunTask(tctx, cfg, tm.Task)
	cancel()
	r.m.InFlight.Dec()
	stop()
	var ne *graph.NodeError
	switch {
	case errors.Is(err, saver.ErrNotFound) && !errors.Is(err, saver.ErrDeleted) && delivered < uint64(r.cfg.MaxDeliver):
		// Its checkpoint was stored before the task was published, so a
		// read that does not find it is behind. Dropping the task would
		// strand the thread: a client's Resume publishes it again under the
		// same message id, which the stream discards as a duplicate.
		log.Warn("checkpoint not found; the task runs again", "delivery", delivered, "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay * time.Duration(delivered))
		return
	case errors.Is(err, graph.ErrUnknownTask) || errors.Is(err, saver.ErrNotFound) || errors.Is(err, saver.ErrDeleted):
		log.Error("dropping task", "err", err)
		_ = m.Term()
		return
	case errors.As(err, &ne) && ctx.Err() == nil:
		if delivered >= uint64(r.cfg.MaxDeliver) {
			r.fail(ctx, log, g, m, cfg, tm, err.Error())
			return
		}
		r.m.TasksRetried.Inc()
		log.Warn("node failed; it runs again", "delivery", delivered, "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay * time.Duration(delivered))
		return
	case err != nil:
		log.Warn("task not stored; it runs again", "delivery", delivered, "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	}
	if res.Ran {
		r.m.TasksFinished.Inc()
		r.m.NodeSeconds.WithLabelValues(tm.Graph, res.Node).Observe(time.Since(start).Seconds())
		log.Debug("task finished", "seconds", time.Since(start).Seconds(), "interrupted", res.Interrupted)
	}
	if err := r.advance(ctx, log, g, tm.Graph, cfg); err != nil {
		log.Warn("advance failed; the task is delivered again", "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	}
	_ = m.Ack()
}

// fail records a task's failure for good and acknowledges it.
func (r *Runner) fail(ctx context.Context, log *slog.Logger, g Graph, m jetstream.Msg, cfg graph.Config, tm taskMsg, reason string) {
	if err := g.FailTask(ctx, cfg, tm.Task, reason); err != nil {
		log.Warn("recording the task's failure failed", "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	}
	r.m.TasksFailed.Inc()
	log.Error("task failed for good; its run stops", "reason", reason)
	_ = m.Ack()
}

// inProgress tells the server, every AckWait/3, that m is being worked on,
// until stop is called.
func (r *Runner) inProgress(m jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = m.InProgress()
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// advance commits the step after the checkpoint cfg names if it is
// complete, and publishes the next step's tasks.
func (r *Runner) advance(ctx context.Context, log *slog.Logger, g Graph, name string, cfg graph.Config) error {
	st, err := g.Advance(ctx, cfg)
	if errors.Is(err, saver.ErrConflict) {
		r.m.Conflicts.Inc()
		log.Debug("step committed by another runner")
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Committed {
		return nil
	}
	r.m.StepsCommitted.Inc()
	log.Debug("step committed", "next", st.Config.CheckpointID, "step", st.Step, "end", st.End, "interrupted", st.Interrupted)
	if st.Running() {
		return r.q.publish(ctx, name, st.Config, st.Pending())
	}
	return nil
}

// handleEvent is the outbox: for an event of a bound thread it publishes
// the unfinished tasks of the thread's latest checkpoint, or commits its
// step when every task has written.
func (r *Runner) handleEvent(ctx context.Context, m jetstream.Msg) {
	r.m.OutboxEvents.Inc()
	thread, err := r.cfg.Saver.EventLog().ThreadOf(m.Subject(), m.Headers())
	if err != nil {
		_ = m.Ack() // not a thread's event
		return
	}
	name, err := r.q.graphOf(ctx, thread)
	if err != nil {
		r.log.Warn("outbox: binding lookup failed", "thread", thread, "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	}
	if name == "" {
		_ = m.Ack() // not a dispatched thread
		return
	}
	g := r.graphs[name]
	if g == nil {
		r.log.Error("outbox: thread bound to a graph this runner does not host", "thread", thread, "graph", name)
		_ = m.NakWithDelay(r.cfg.AckWait)
		return
	}
	log := r.log.With("graph", name, "thread", thread)
	st, err := g.Status(ctx, graph.Config{ThreadID: thread})
	switch {
	case errors.Is(err, saver.ErrDeleted):
	case err != nil:
		log.Warn("outbox: status failed", "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	case st.Ready:
		err = r.advance(ctx, log, g, name, st.Config)
	case st.Running():
		err = r.q.publish(ctx, name, st.Config, st.Pending())
	}
	if err != nil {
		log.Warn("outbox: event not handled; it comes again", "err", err)
		_ = m.NakWithDelay(r.cfg.RetryDelay)
		return
	}
	_ = m.Ack()
}
