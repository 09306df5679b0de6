package eventstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// Retention makes threads expire once they have been idle for longer than
// TTL, as LangGraph Platform's checkpointer.ttl (strategy "delete",
// default_ttl, sweep_interval_minutes) does: "idle" is measured from the
// thread's newest event, whoever wrote it, and an expired thread reads
// exactly like one DeleteThread deleted (saver.ErrNotFound on reads,
// saver.ErrDeleted for a late write that builds on one of its
// checkpoints), because expiring it is a delete.
//
// Expiring a thread appends its tombstone conditionally on the sequence
// whose append time was found too old, the way every write is conditional:
// if a writer appended to the thread since, the tombstone is refused and
// the thread lives on; if the tombstone landed first, the writer's append
// is refused (its step is reported, not lost) and, planned again, it meets
// a deleted thread.
//
// A thread is expired by whichever comes first: the store's sweeper, which
// every SweepEvery asks the log for idle threads, or a fresh read (GetTuple,
// List, the reads of a write's retry) that finds the thread's newest event
// too old: the log reports its append time with the sequence every fresh
// read looks up anyway, so an expired thread is not served between sweeps,
// at no extra request. Two paths do not look: GetTupleCached answers from
// the cache without asking the log, and a write planned on the cached
// state appends conditionally on it, so a write to a thread that is past
// its TTL but not yet expired lands and keeps the thread alive (the log
// orders it against the expiry, as it orders any two writes). A read that
// expires a thread writes its tombstone: if that append fails, the read
// fails rather than serve the thread, so give a TTL only to savers that may
// write.
//
// Append times are the log's (the JetStream server's message timestamps,
// the database's clock on SQL); the cutoff is Now less TTL. Hosts whose
// clocks disagree make threads expire early or late by the difference.
//
// Every append counts as activity, lease renewals included: a graph run
// renews its lease by appending while a node runs long (graph.WithRunLease,
// 30 s by default), so a thread with a run in progress is not idle as long
// as the TTL is longer than the lease, as any sensible TTL (hours, days)
// is.
type Retention struct {
	// TTL is how long a thread may stay idle. Zero: threads never expire.
	TTL time.Duration
	// SweepEvery is how often the store's sweeper looks for idle threads.
	// Defaults to a quarter of TTL, at least a second and at most an hour.
	// Negative: no sweeper; threads expire only when read.
	SweepEvery time.Duration
	// Now is the clock append times are compared with. Defaults to
	// time.Now.
	Now func() time.Time
}

// Activity is implemented by logs that know when each thread was last
// appended to. Retention needs it.
type Activity interface {
	// LastAppend returns the sequence of the thread's newest event (0 if
	// none, as LastSeq) and when it was appended (the zero time if the log
	// does not know). A log that keeps coarser times rounds up: the time
	// returned is never before the append, so that an append made after a
	// sweep's cutoff is never taken for one made before it.
	LastAppend(ctx context.Context, thread string) (uint64, time.Time, error)
	// Idle yields the threads whose newest event was appended before
	// cutoff, except those the log was told to forget at that event.
	Idle(ctx context.Context, cutoff time.Time) iter.Seq2[string, error]
}

// IdleForgetter is implemented by Activity logs that can stop listing a
// thread as idle: the store tells it so once the thread's newest event is
// a tombstone (nothing is left to expire), until the next append.
type IdleForgetter interface {
	// Forget stops listing the thread as idle while its newest event is
	// the one at seq.
	Forget(ctx context.Context, thread string, seq uint64) error
}

// activity is when the event a cached thread's fold ended on was appended,
// as the log last reported it.
type activity struct {
	seq uint64
	at  time.Time
}

// retention is a store's running Retention: its settings and its sweeper.
type retention struct {
	Retention
	act   Activity
	stop  chan struct{}
	done  sync.WaitGroup
	close sync.Once
}

// startRetention checks the store's Retention, sets s.ret and starts the
// sweeper. s.ret stays nil when threads never expire. A log that cannot say when
// threads were appended to disables retention with an error logged.
func (s *Store) startRetention() {
	r := s.opts.Retention
	if r.TTL <= 0 {
		return
	}
	act, ok := s.log.(Activity)
	if !ok {
		s.opts.Logger.Error("jetgraph: retention disabled: the log does not report append times", "log", fmt.Sprintf("%T", s.log))
		return
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.SweepEvery == 0 {
		r.SweepEvery = min(max(r.TTL/4, time.Second), time.Hour)
	}
	ret := &retention{Retention: r, act: act, stop: make(chan struct{})}
	s.ret = ret
	if r.SweepEvery > 0 {
		ret.done.Add(1)
		go s.sweeper(ret)
	}
}

// sweeper runs Sweep every SweepEvery until the store closes.
func (s *Store) sweeper(r *retention) {
	defer r.done.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(r.SweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("jetgraph: retention sweep", "err", err)
		}
	}
}

// stopRetention stops the sweeper and waits for it. It is safe to call
// more than once.
func (s *Store) stopRetention() {
	if s.ret == nil {
		return
	}
	s.ret.close.Do(func() { close(s.ret.stop) })
	s.ret.done.Wait()
}

// Sweep expires every thread idle for longer than the Retention's TTL now,
// and returns how many it expired. The store's sweeper calls it every
// SweepEvery; calling it directly is for tests and for operators who run
// sweeps themselves (SweepEvery < 0). Without a TTL it does nothing.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if s.ret == nil {
		return 0, nil
	}
	var ids []string
	for id, err := range s.ret.act.Idle(ctx, s.cutoff()) {
		if err != nil {
			return 0, fmt.Errorf("list idle threads: %w", err)
		}
		ids = append(ids, id)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		expired, err := s.expireThread(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if expired {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// cutoff is the append time before which a thread has expired.
func (s *Store) cutoff() time.Time { return s.ret.Now().Add(-s.ret.TTL) }

// expireThread reads the thread fresh, which expires it if it is idle,
// and reports whether this call did.
func (s *Store) expireThread(ctx context.Context, thread string) (bool, error) {
	c := s.acquire(thread)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.syncLog(ctx, c, thread); err != nil {
		return false, err
	}
	return s.expireIfIdle(ctx, c, thread)
}

// lastSeq returns the sequence of the thread's newest event and, when
// retention is on, records in c when it was appended.
func (s *Store) lastSeq(ctx context.Context, c *cached, thread string) (uint64, error) {
	if s.ret == nil {
		return s.log.LastSeq(ctx, thread)
	}
	seq, at, err := s.ret.act.LastAppend(ctx, thread)
	if err == nil {
		c.act = activity{seq: seq, at: at}
	}
	return seq, err
}

// sync brings c up to the newest event of the thread and, with retention
// on, expires the thread if that event is older than the TTL. c.mu must
// be held.
func (s *Store) sync(ctx context.Context, c *cached, thread string) error {
	if err := s.syncLog(ctx, c, thread); err != nil || s.ret == nil {
		return err
	}
	_, err := s.expireIfIdle(ctx, c, thread)
	return err
}

// expireIfIdle appends a tombstone to a thread whose newest event (the one
// c was just synced to) was appended before the cutoff, conditionally on
// that event, then drops what the tombstone made unnecessary, and reports
// whether it did. If a writer appended meanwhile, the log refuses the
// tombstone and c catches up with the writer instead. c.mu must be held.
func (s *Store) expireIfIdle(ctx context.Context, c *cached, thread string) (bool, error) {
	t := c.t
	if t == nil || t.Seq == 0 || t.Provisional() || c.act.seq != t.Seq || c.act.at.IsZero() || !c.act.at.Before(s.cutoff()) {
		return false, nil
	}
	recs := t.PlanDelete()
	if len(recs) == 0 { // holds nothing (deleted already): nothing to expire
		if f, ok := s.log.(IdleForgetter); ok {
			if err := f.Forget(ctx, thread, t.Seq); err != nil {
				return false, fmt.Errorf("thread %q: forget idle: %w", thread, err)
			}
		}
		return false, nil
	}
	recs[0].Thread = t.Binding()
	payload, _, err := s.encode(ctx, c, thread, recs) // a tombstone: no values
	if err != nil {
		return false, err
	}
	seq, err := s.log.Append(ctx, thread, t.Seq, payload)
	if errors.Is(err, saver.ErrConflict) {
		// A writer got there first: the thread is active. Catch up.
		return false, s.syncLog(ctx, c, thread)
	}
	if err != nil {
		c.t = nil // the tombstone may have been stored: read the log again
		return false, fmt.Errorf("thread %q: expire: %w", thread, err)
	}
	t.Settle(seq, recs)
	c.lastSum, c.act = checksum(payload), activity{}
	s.opts.Logger.Debug("jetgraph: thread expired", "thread", thread, "seq", seq)
	if err := s.dropExpired(ctx, t, thread, seq); err != nil {
		return true, err
	}
	if f, ok := s.log.(IdleForgetter); ok {
		if err := f.Forget(ctx, thread, seq); err != nil {
			return true, fmt.Errorf("thread %q: forget idle: %w", thread, err)
		}
	}
	return true, nil
}

// dropExpired is truncate for a thread whose lock is held: it drops the
// events before the tombstone at seq and the out-of-line values t no
// longer refers to.
func (s *Store) dropExpired(ctx context.Context, t *event.Thread, thread string, seq uint64) error {
	return s.dropBefore(ctx, thread, seq, func() ([]string, error) { return t.BlobKeys(), nil })
}

// Retention returns the store's Retention as configured (zero TTL: threads
// never expire).
func (s *Store) Retention() Retention { return s.opts.Retention }
