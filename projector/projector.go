package projector

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Projector is a durable consumer of the event stream that keeps a snapshot
// of every thread in the KV bucket. Start it, Stop it; it resumes where it
// left off, and a redelivered message changes nothing.
type Projector struct {
	log   *eventlog.Log
	snaps *Snapshots
	cfg   Config

	mu      sync.Mutex
	cc      jetstream.ConsumeContext
	cancel  context.CancelFunc
	pos     uint64        // the last stream sequence handled
	changed chan struct{} // closed and replaced when pos moves

	// threads is only touched by the consumer's handler, one message at a
	// time.
	threads map[string]*projection
}

// projection is one thread as the projector has folded it.
type projection struct {
	t          *event.Thread
	snapSize   int // bytes of the last snapshot
	bytesSince int // bytes of events folded since
}

// New opens (creating if needed) the snapshot bucket and returns a stopped
// projector over log.
func New(ctx context.Context, log *eventlog.Log, cfg Config) (*Projector, error) {
	cfg = cfg.withDefaults(log.Config().Replicas, log.JetStream().Conn().MaxPayload())
	snaps, err := OpenSnapshots(ctx, log, cfg)
	if err != nil {
		return nil, err
	}
	return &Projector{log: log, snaps: snaps, cfg: cfg, changed: make(chan struct{}), threads: make(map[string]*projection)}, nil
}

// Snapshots returns the bucket the projector writes.
func (p *Projector) Snapshots() *Snapshots { return p.snaps }

func (p *Projector) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       p.cfg.Durable,
		Description:   "jetgraph snapshot projector",
		FilterSubject: p.log.Config().Prefix + ".>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1024,
	}
}

// Start creates the durable consumer if needed and starts folding from
// where it left off. It returns once consuming has begun.
func (p *Projector) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cc != nil {
		return errors.New("projector: already started")
	}
	cons, err := p.log.Stream().CreateOrUpdateConsumer(ctx, p.consumerConfig())
	if err != nil {
		return fmt.Errorf("projector: consumer %s: %w", p.cfg.Durable, err)
	}
	if info := cons.CachedInfo(); info != nil {
		p.advanceLocked(info.AckFloor.Stream)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cc, err := cons.Consume(func(m jetstream.Msg) { p.handle(runCtx, m) },
		jetstream.PullMaxMessages(256),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			p.cfg.Logger.Debug("jetgraph projector: consume", "err", err)
		}))
	if err != nil {
		cancel()
		return fmt.Errorf("projector: consume: %w", err)
	}
	p.cc, p.cancel = cc, cancel
	return nil
}

// Stop stops fetching, folds the messages already fetched, and returns once
// the handler has exited (or ctx ends). A message left unacknowledged is
// delivered again to the next projector.
func (p *Projector) Stop(ctx context.Context) error {
	p.mu.Lock()
	cc, cancel := p.cc, p.cancel
	p.cc, p.cancel = nil, nil
	p.mu.Unlock()
	if cc == nil {
		return nil
	}
	if p.log.JetStream().Conn().IsConnected() {
		cc.Drain() // fold what was fetched; acks need the server
	} else {
		cc.Stop() // no server to drain against: what is unacked is delivered again later
	}
	defer cancel()
	select {
	case <-cc.Closed():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("projector: stop: %w", ctx.Err())
	}
}

// Position returns the last stream sequence the projector handled.
func (p *Projector) Position() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

func (p *Projector) advance(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advanceLocked(seq)
}

func (p *Projector) advanceLocked(seq uint64) {
	if seq > p.pos {
		p.pos = seq
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// WaitFor returns once the stream up to seq has been projected, by this
// projector or by another process sharing its durable consumer.
func (p *Projector) WaitFor(ctx context.Context, seq uint64) error {
	// Progress made in other processes sends no signal here: besides this
	// projector's own progress, look at the consumer's ack floor now and
	// then.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p.mu.Lock()
		pos, changed := p.pos, p.changed
		p.mu.Unlock()
		if pos >= seq {
			return nil
		}
		select {
		case <-changed:
		case <-tick.C:
			if floor, err := p.ackFloor(ctx); err == nil {
				p.advance(floor)
			}
		case <-ctx.Done():
			return fmt.Errorf("projector: at %d, waiting for %d: %w", pos, seq, ctx.Err())
		}
	}
}

// ackFloor returns the stream sequence up to which the durable consumer has
// every message acknowledged.
func (p *Projector) ackFloor(ctx context.Context) (uint64, error) {
	cons, err := p.log.Stream().Consumer(ctx, p.cfg.Durable)
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.AckFloor.Stream, nil
}

// CatchUp returns once the projector has handled every message the stream
// held when it was called.
func (p *Projector) CatchUp(ctx context.Context) error {
	info, err := p.log.Stream().Info(ctx)
	if err != nil {
		return fmt.Errorf("projector: stream info: %w", err)
	}
	return p.WaitFor(ctx, info.State.LastSeq)
}

// handle folds one message. Whatever happens, the message is acknowledged
// unless the projection could not be brought up to date (the log could not
// be read); then it is delivered again later.
func (p *Projector) handle(ctx context.Context, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		p.cfg.Logger.Error("jetgraph projector: message without metadata", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	seq := md.Sequence.Stream
	if err := p.project(ctx, m, seq); err != nil {
		p.cfg.Logger.Warn("jetgraph projector: message not projected, will retry", "subject", m.Subject(), "seq", seq, "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	_ = m.Ack()
	p.advance(seq)
}

func (p *Projector) project(ctx context.Context, m jetstream.Msg, seq uint64) error {
	thread, err := p.log.ThreadOf(m.Subject(), m.Headers())
	if err != nil {
		p.cfg.Logger.Error("jetgraph projector: skipping message on an unknown subject", "subject", m.Subject(), "seq", seq, "err", err)
		return nil
	}
	pr, err := p.projection(ctx, thread)
	if err != nil {
		return err
	}
	if pr.t.Seq >= seq {
		return nil // redelivered: already folded
	}
	prev, known := previous(m)
	if !known || pr.t.Seq < prev {
		// Another projector took the messages in between, or an earlier
		// one waits for redelivery: fold them from the log.
		if err := p.fill(ctx, pr, thread, seq-1); err != nil {
			return err
		}
	}
	reset := p.apply(pr, seq, m.Data())
	if reset || eventstore.SnapshotDue(pr.bytesSince, pr.snapSize, p.cfg.MinSnapshotBytes) {
		p.snapshot(ctx, pr)
	}
	return nil
}

// previous returns the sequence the append expected to follow, from the
// header it was published with.
func previous(m jetstream.Msg) (uint64, bool) {
	v := m.Headers().Get(jetstream.ExpectedLastSubjSeqHeader)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// projection returns the thread's folded state: cached, or the stored
// snapshot with the events after it folded in.
func (p *Projector) projection(ctx context.Context, thread string) (*projection, error) {
	if pr := p.threads[thread]; pr != nil {
		return pr, nil
	}
	if len(p.threads) >= p.cfg.MaxThreads {
		for id := range p.threads { // evict one; it reloads from its snapshot
			delete(p.threads, id)
			break
		}
	}
	pr := &projection{t: event.NewThread(thread)}
	data, at, err := p.snaps.Load(ctx, thread)
	if err != nil {
		p.cfg.Logger.Warn("jetgraph projector: ignoring unreadable snapshot", "thread", thread, "err", err)
	} else if data != nil {
		t, err := event.Restore(data)
		if err == nil && (t.ID != thread || t.Seq != at) {
			err = fmt.Errorf("snapshot of thread %q at %d holds thread %q at %d", thread, at, t.ID, t.Seq)
		}
		if err == nil {
			pr.t, pr.snapSize = t, len(data)
		} else {
			p.cfg.Logger.Warn("jetgraph projector: ignoring unreadable snapshot", "thread", thread, "err", err)
		}
	}
	p.threads[thread] = pr
	return pr, nil
}

// fill folds the thread's events after pr.t.Seq up to to.
func (p *Projector) fill(ctx context.Context, pr *projection, thread string, to uint64) error {
	if pr.t.Seq >= to {
		return nil
	}
	for ev, err := range p.log.ReadRange(ctx, thread, pr.t.Seq+1, to) {
		if err != nil {
			delete(p.threads, thread) // partly folded: start over next time
			return err
		}
		p.apply(pr, ev.Seq, ev.Payload)
	}
	return nil
}

// apply folds one event and reports whether it replaced the thread's state
// (a seed or a tombstone), after which a snapshot is due. A corrupt event,
// or one bound to another thread, is logged with its thread and sequence
// and skipped, as every reader's fold does.
func (p *Projector) apply(pr *projection, seq uint64, payload []byte) bool {
	pr.bytesSince += len(payload)
	reset := false
	_ = pr.t.Fold(event.Events([]event.Event{{Seq: seq, Payload: payload}}), event.FoldOptions{
		OnCorrupt: func(err *event.DecodeError) {
			p.cfg.Logger.Error("jetgraph projector: skipping corrupt event", "thread", pr.t.ID, "seq", seq, "err", err)
		},
		Applied: func(_ uint64, recs []event.Record) {
			for _, r := range recs {
				reset = reset || r.Kind == event.KindSeed || r.Kind == event.KindTombstone
			}
		},
	}) // nothing to read and every corrupt event handled: no error
	return reset
}

// snapshot stores the thread's state. A failure is logged: the snapshot is
// a cache, and the next event tries again.
func (p *Projector) snapshot(ctx context.Context, pr *projection) {
	b, err := pr.t.Snapshot()
	if err == nil {
		err = p.snaps.Save(ctx, pr.t.ID, pr.t.Seq, b)
	}
	if err != nil {
		p.cfg.Logger.Warn("jetgraph projector: snapshot not saved", "thread", pr.t.ID, "seq", pr.t.Seq, "err", err)
		return
	}
	pr.snapSize, pr.bytesSince = len(b), 0
}
