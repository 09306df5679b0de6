package eventstore

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// MaxThreads bounds how many folded threads are cached in memory.
	// Defaults to 4096; a negative value caches every thread.
	MaxThreads int
	// MaxCacheBytes bounds the cached threads by the bytes they fold as
	// stored (their events since the last seed, or their snapshot and the
	// events after); least recently used threads are evicted first. A
	// folded thread takes two to three times the bytes it counts (see
	// cache.go). Defaults to DefaultMaxCacheBytes (128 MiB); a negative
	// value bounds the cache by MaxThreads only.
	MaxCacheBytes int64
	// MaxRetries bounds how often a write is planned again after another
	// writer moved the thread on. Defaults to 8.
	MaxRetries int
	// MinSnapshotBytes is how many bytes of events must follow a snapshot
	// before the next one, for logs that are SnapshotSavers. A new snapshot
	// is also only taken once the events since the last one outweigh it, so
	// snapshots stay linear in the log. Defaults to 64 KiB.
	MinSnapshotBytes int
	// SnapshotInBackground encodes and saves snapshots in a goroutine, off
	// the write that made one due, one at a time per thread. Call Flush
	// before closing the log to wait for them.
	SnapshotInBackground bool
	// BlobThreshold is the size above which values are stored out of
	// line, on logs that are BlobStores. Defaults to 256 KiB, and to a
	// sixteenth of MaxAppendBytes when the log is an AppendLimiter and
	// that is smaller.
	BlobThreshold int
	// MaxValueBytes bounds one channel value or write; a larger one is
	// refused with saver.ErrTooLarge before anything is stored. Defaults
	// to 64 MiB.
	MaxValueBytes int
	// Logger receives corrupt-event reports. Defaults to slog.Default().
	Logger *slog.Logger
	// Retention makes idle threads expire (see Retention). The zero value
	// keeps threads for ever.
	Retention Retention
}

// Store is a saver.Saver over a Log.
type Store struct {
	log  Log
	opts Options

	mu    sync.Mutex
	cache threadCache    // cache.go
	bg    sync.WaitGroup // background snapshots
	ret   *retention     // nil: threads never expire
	// read counts the events folded from the log (see EventsRead).
	read atomic.Uint64
}

// cached is one thread's folded state; mu serializes everything done to it.
type cached struct {
	mu         sync.Mutex
	t          *event.Thread
	snapSize   int
	bytesSince int
	snapping   bool // a background snapshot is being taken
	// lastSum identifies the event at t.Seq (its payload's checksum, 0
	// when unknown), so that a log replaced under the store is noticed.
	lastSum uint32
	act     activity // when the newest event was appended (Retention)

	// The cache's (cache.go), guarded by Store.mu.
	id      string
	elem    *list.Element // nil once evicted
	counted int64         // t's bytes as counted in the cache
}

var (
	_ saver.Saver        = (*Store)(nil)
	_ saver.Copier       = (*Store)(nil)
	_ saver.Forker       = (*Store)(nil)
	_ saver.Pruner       = (*Store)(nil)
	_ saver.RunDeleter   = (*Store)(nil)
	_ saver.Locator      = (*Store)(nil)
	_ saver.Committer    = (*Store)(nil)
	_ saver.CachedGetter = (*Store)(nil)
)

// New returns a Store over log.
func New(log Log, opts Options) *Store {
	if opts.MaxThreads == 0 {
		opts.MaxThreads = 4096
	}
	if opts.MaxCacheBytes == 0 {
		opts.MaxCacheBytes = DefaultMaxCacheBytes
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 8
	}
	if opts.MinSnapshotBytes == 0 {
		opts.MinSnapshotBytes = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxValueBytes == 0 {
		opts.MaxValueBytes = 64 << 20
	}
	if _, ok := log.(BlobStore); !ok {
		opts.BlobThreshold = -1
	} else if opts.BlobThreshold == 0 {
		opts.BlobThreshold = 256 << 10
		if l, ok := log.(AppendLimiter); ok {
			opts.BlobThreshold = min(opts.BlobThreshold, l.MaxAppendBytes()/16)
		}
	}
	s := &Store{log: log, opts: opts}
	s.startRetention()
	return s
}

// newThread returns an empty thread set up for this store.
func (s *Store) newThread(id string) *event.Thread {
	t := event.NewThread(id)
	t.BlobThreshold = s.opts.BlobThreshold
	return t
}

// resolver returns what fills in the out-of-line values of a thread's
// records, or nil when the log keeps none.
func (s *Store) resolver(ctx context.Context, thread string) func([]event.Record) error {
	bs, ok := s.log.(BlobStore)
	if !ok {
		return nil
	}
	return func(recs []event.Record) error {
		return event.ResolveBlobs(recs, func(key string) ([]byte, error) {
			return bs.GetBlob(ctx, thread, key)
		})
	}
}

// foldOptions returns how the store folds a thread's events: values
// resolved, corrupt events logged and skipped.
func (s *Store) foldOptions(ctx context.Context, thread string, to uint64) event.FoldOptions {
	return event.FoldOptions{To: to, Resolve: s.resolver(ctx, thread), OnCorrupt: func(err *event.DecodeError) {
		s.opts.Logger.Error("jetgraph: skipping corrupt event", "thread", thread, "seq", err.Seq, "err", err)
	}}
}

// Log returns the log the store writes to.
func (s *Store) Log() Log { return s.log }

func (s *Store) acquire(thread string) *cached {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cacheGet(thread)
}

// syncLog brings c up to the newest event of the thread. c.mu must be held.
func (s *Store) syncLog(ctx context.Context, c *cached, thread string) error {
	if c.t == nil {
		t, err := s.cold(ctx, thread)
		if err != nil {
			return err
		}
		c.t, c.lastSum = t, 0
	}
	last, err := s.lastSeq(ctx, c, thread)
	if err != nil {
		return fmt.Errorf("thread %q: last sequence: %w", thread, err)
	}
	if last == c.t.Seq {
		return nil
	}
	if last < c.t.Seq { // the log went back (restored, or recreated): start over
		c.t, c.lastSum = s.newThread(thread), 0
	}
	err = s.fold(ctx, c, thread)
	if errors.Is(err, errReplaced) {
		// Not the log the cache was folded from: fold this one afresh.
		s.opts.Logger.Warn("jetgraph: thread log replaced under the cache; folding it again", "thread", thread)
		t, cerr := s.cold(ctx, thread)
		if cerr != nil {
			return cerr
		}
		c.t, c.lastSum = t, 0
		err = s.fold(ctx, c, thread)
	}
	if err != nil {
		c.t = nil // partly folded: start over next time
	}
	return err
}

// errReplaced reports that the event the cache ended on is not in the log
// any more as it was.
var errReplaced = errors.New("log replaced")

func (s *Store) cold(ctx context.Context, thread string) (*event.Thread, error) {
	if sl, ok := s.log.(SnapshotLoader); ok {
		b, err := sl.LoadSnapshot(ctx, thread)
		if err != nil {
			return nil, fmt.Errorf("thread %q: load snapshot: %w", thread, err)
		}
		if b != nil {
			t, err := event.RestoreResolved(b, s.resolver(ctx, thread))
			if err == nil && t.ID == thread {
				t.BlobThreshold = s.opts.BlobThreshold
				return t, nil
			}
			s.opts.Logger.Warn("jetgraph: ignoring unreadable snapshot", "thread", thread, "err", err)
		}
	}
	return s.newThread(thread), nil
}

// fold applies the events after c.t.Seq. When c knows the checksum of the
// event it ended on, the read starts at that event, and a different one
// there is errReplaced. A corrupt event is logged with its thread and
// sequence and skipped.
func (s *Store) fold(ctx context.Context, c *cached, thread string) error {
	from, check := c.t.Seq, c.lastSum != 0 && c.t.Seq > 0
	if check {
		from--
	}
	events := func(yield func(event.Event, error) bool) {
		for ev, err := range s.log.Read(ctx, thread, from) {
			if check && err == nil {
				check = false
				if ev.Seq != c.t.Seq || checksum(ev.Payload) != c.lastSum {
					yield(event.Event{}, errReplaced)
					return
				}
				continue
			}
			if err == nil {
				c.lastSum = checksum(ev.Payload)
				s.read.Add(1)
			}
			if !yield(ev, err) {
				return
			}
		}
	}
	return c.t.Fold(events, s.foldOptions(ctx, thread, 0))
}

// checksum identifies an event's payload; never 0.
func checksum(payload []byte) uint32 { return crc32.ChecksumIEEE(payload) | 1 }

// view runs fn on the thread's current state.
func (s *Store) view(ctx context.Context, thread string, fn func(t *event.Thread) error) error {
	return s.viewAt(ctx, thread, true, nil, fn)
}

// viewAt runs fn on the thread's state; with fresh it first catches up with
// the log, without it the cached state serves (it is folded from the log
// only if there is none).
// When synced is not nil, it is set if the state was read from the log.
func (s *Store) viewAt(ctx context.Context, thread string, fresh bool, synced *bool, fn func(t *event.Thread) error) error {
	c := s.acquire(thread)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer s.account(c)
	if fresh || c.t == nil {
		if err := s.sync(ctx, c, thread); err != nil {
			return err
		}
		if synced != nil {
			*synced = true
		}
	}
	return fn(c.t)
}

// write plans a change against the thread's cached state and appends it
// conditionally on that state's sequence. The cache is trusted
// optimistically, so a write costs one append: if another writer moved the
// thread on, the log refuses the append, and write catches up and plans
// again, so the checks always see the state the append lands on. A plan
// that fails on a state not read from the log in this call is also retried
// once caught up, so a stale cache never produces a wrong error. It returns
// the new sequence (0 if plan had nothing to write).
//
// A plan that left provisional changes in the state (PlanCommit) and then
// failed, or whose append failed, costs the cached state: the next access
// folds it again from the log.
func (s *Store) write(ctx context.Context, thread string, plan func(t *event.Thread) ([]event.Record, error)) (uint64, error) {
	c := s.acquire(thread)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer s.account(c)
	fresh := false // c.t was brought up to date with the log in this call
	for attempt := 0; ; attempt++ {
		if c.t == nil || !fresh && attempt > 0 {
			if err := s.sync(ctx, c, thread); err != nil {
				return 0, err
			}
			fresh = true
		}
		base := c.t.Seq
		recs, err := plan(c.t)
		if err == nil && len(recs) > 0 {
			var payload []byte
			recs[0].Thread = c.t.Binding()
			var spilled bool
			if payload, spilled, err = s.encode(ctx, c, thread, recs); err == nil {
				var seq uint64
				if seq, err = s.log.Append(ctx, thread, base, payload); err == nil && spilled && c.t.Provisional() {
					// PlanCommit applied the records before values were
					// moved out of line: a cold fold differs (its values
					// are blobs). Fold the thread again on next access.
					c.t = nil
					return seq, nil
				}
				if err == nil {
					// Planned records hold exactly what decoding the payload
					// gives (the planners normalize them), so applying them
					// leaves the cache equal to a cold fold; provisional
					// entries (PlanCommit applied them) just get their
					// sequence.
					c.t.Settle(seq, recs)
					c.t.AddStored(len(payload))
					c.lastSum = checksum(payload)
					s.maybeSnapshot(ctx, c, thread, len(payload))
					return seq, nil
				}
				if !errors.Is(err, saver.ErrConflict) {
					// The log failed (it may even have stored the event):
					// do not guess, report it. The cache is still the state
					// before this write; the next call re-reads the log.
					if c.t.Provisional() {
						c.t = nil
					}
					return 0, err
				}
				fresh = false // the log moved on: catch up before planning again
			}
		}
		if c.t.Provisional() {
			c.t = nil
		}
		switch {
		case err == nil: // nothing to write
			return 0, nil
		case !fresh && attempt < s.opts.MaxRetries:
			continue // planned on a state that may be stale, or lost a race
		default:
			return 0, err
		}
	}
}

// encode checks the sizes of recs, encodes them and stores their
// out-of-line values: every check comes first, so a refused write leaves
// no blob behind. An event too large for one append whose values are each
// small enough to stay inline has its largest values moved out of line
// (event.Spill); spilled says so. c.mu must be held.
func (s *Store) encode(ctx context.Context, c *cached, thread string, recs []event.Record) (payload []byte, spilled bool, err error) {
	blobs := event.Blobs(recs)
	for _, b := range blobs {
		if n := len(b); n > s.opts.MaxValueBytes {
			return nil, false, fmt.Errorf("thread %q: a value of %d bytes: more than the %d allowed: %w", thread, n, s.opts.MaxValueBytes, saver.ErrTooLarge)
		}
	}
	if payload, err = event.Encode(recs); err != nil {
		return nil, false, fmt.Errorf("thread %q: %w", thread, err)
	}
	if l, ok := s.log.(AppendLimiter); ok && len(payload) > l.MaxAppendBytes() {
		limit := l.MaxAppendBytes()
		// Only a BlobStore's threads have a threshold.
		for s.opts.BlobThreshold > 0 && len(payload) > limit && event.Spill(recs, len(payload)-limit) > 0 {
			spilled = true
			if payload, err = event.Encode(recs); err != nil {
				return nil, false, fmt.Errorf("thread %q: %w", thread, err)
			}
		}
		if spilled {
			blobs = event.Blobs(recs)
		}
		if len(payload) > limit {
			return nil, false, fmt.Errorf("thread %q: an event of %d bytes, more than the %d the log accepts in one append (%d values kept out of line): %w",
				thread, len(payload), limit, len(blobs), saver.ErrTooLarge)
		}
	}
	keys := slices.Sorted(maps.Keys(blobs))
	if len(blobs) > 0 {
		bs := s.log.(BlobStore) // only a BlobStore's threads have a threshold
		// Keys the thread refers to are stored already, unless the planner
		// applied recs to it provisionally (then they count as referred to).
		var known []string
		if !c.t.Provisional() {
			known = c.t.BlobKeys()
		}
		for _, key := range keys {
			if _, stored := slices.BinarySearch(known, key); stored {
				continue
			}
			if err := bs.PutBlob(ctx, thread, key, blobs[key]); err != nil {
				return nil, false, fmt.Errorf("thread %q: store value %s out of line: %w", thread, key, err)
			}
		}
	}
	return payload, spilled, nil
}

// SnapshotDue is the snapshot policy every snapshot writer follows: a new
// snapshot is due once the bytes of events folded since the last one
// outweigh it, and minBytes, so that snapshots stay linear in the log.
func SnapshotDue(bytesSince, lastSnapshot, minBytes int) bool {
	return bytesSince >= max(lastSnapshot, minBytes)
}

// maybeSnapshot takes a snapshot when the events since the last one
// outweigh it (and MinSnapshotBytes), so snapshots stay linear in the log.
// c.mu must be held.
func (s *Store) maybeSnapshot(ctx context.Context, c *cached, thread string, n int) {
	ss, ok := s.log.(SnapshotSaver)
	if !ok {
		return
	}
	c.bytesSince += n
	if c.snapping || !SnapshotDue(c.bytesSince, c.snapSize, s.opts.MinSnapshotBytes) {
		return
	}
	f := c.t.Freeze()
	if !s.opts.SnapshotInBackground {
		if size, err := s.snapshot(ctx, ss, thread, f, c.snapSize+c.bytesSince); err == nil {
			c.snapSize, c.bytesSince = size, 0
		}
		return
	}
	s.snapshotInBackground(ctx, ss, c, thread, f)
}

// snapshotInBackground saves f in a goroutine, then, if the writes made
// meanwhile made another snapshot due, takes that one too, so that once
// Flush returns no snapshot is left owed. c.mu must be held.
func (s *Store) snapshotInBackground(ctx context.Context, ss SnapshotSaver, c *cached, thread string, f *event.Frozen) {
	since := c.bytesSince
	estimate := c.snapSize + since
	c.snapping, c.bytesSince = true, 0
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		size, err := s.snapshot(context.WithoutCancel(ctx), ss, thread, f, estimate)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.snapping = false
		if err != nil {
			c.bytesSince += since // due again with the next write
			return
		}
		c.snapSize = size
		if c.t != nil && c.t.Seq > f.Seq() && !c.t.Provisional() && SnapshotDue(c.bytesSince, c.snapSize, s.opts.MinSnapshotBytes) {
			s.snapshotInBackground(ctx, ss, c, thread, c.t.Freeze())
		}
	}()
}

// snapshot encodes and saves f and returns its size. A failure is logged:
// a snapshot is a cache, and the write that made it due stands. estimate
// is the size f is expected to have: the last snapshot's plus the events
// since (a snapshot is never larger than the events it folds).
func (s *Store) snapshot(ctx context.Context, ss SnapshotSaver, thread string, f *event.Frozen, estimate int) (int, error) {
	b, err := f.AppendEncode(make([]byte, 0, estimate+estimate/8+1024))
	if err == nil {
		err = ss.SaveSnapshot(ctx, thread, f.Seq(), b)
	}
	if err != nil {
		s.opts.Logger.Warn("jetgraph: snapshot not saved", "thread", thread, "seq", f.Seq(), "err", err)
		return 0, err
	}
	return len(b), nil
}

// Flush waits for the snapshots being taken in the background.
func (s *Store) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for snapshots: %w", ctx.Err())
	}
}

// Events yields the thread's stored events, oldest first, for audit: the
// log as it is, with the events a prune or delete dropped gone.
func (s *Store) Events(ctx context.Context, thread string) iter.Seq2[event.Event, error] {
	return s.log.Read(ctx, thread, 0)
}

// Close stops the retention sweeper and waits for the snapshots being
// taken in the background. Savers over a log that holds connections close
// those too.
func (s *Store) Close(ctx context.Context) error {
	s.stopRetention()
	return s.Flush(ctx)
}

// GetTuple implements saver.Saver.
func (s *Store) GetTuple(ctx context.Context, cfg saver.Config) (*saver.Tuple, error) {
	return s.get(ctx, cfg, true)
}

// GetTupleCached implements saver.CachedGetter: a thread the store has
// cached answers without a read of the log, unless the checkpoint is not
// there (the cache may be behind).
// A thread not cached yet is read from the log once, not twice: that read
// is as fresh as GetTuple's.
func (s *Store) GetTupleCached(ctx context.Context, cfg saver.Config) (*saver.Tuple, error) {
	var synced bool
	tu, err := s.getSynced(ctx, cfg, false, &synced)
	if errors.Is(err, saver.ErrNotFound) && !synced {
		return s.get(ctx, cfg, true)
	}
	return tu, err
}

// get returns the tuple cfg names, from a state caught up with the log when
// fresh, else from the cached one (see viewAt).
func (s *Store) get(ctx context.Context, cfg saver.Config, fresh bool) (*saver.Tuple, error) {
	return s.getSynced(ctx, cfg, fresh, nil)
}

// getSynced is get that also tells, in synced when not nil, whether the
// state was read from the log in this call.
func (s *Store) getSynced(ctx context.Context, cfg saver.Config, fresh bool, synced *bool) (*saver.Tuple, error) {
	if err := saver.ValidateThread(cfg.ThreadID); err != nil {
		return nil, err
	}
	var tu *saver.Tuple
	err := s.viewAt(ctx, cfg.ThreadID, fresh, synced, func(t *event.Thread) error {
		var err error
		tu, err = t.Get(cfg)
		return err
	})
	return tu, err
}

// Put implements saver.Saver.
func (s *Store) Put(ctx context.Context, op saver.PutOp) (saver.Config, error) {
	if err := saver.ValidateThread(op.Config.ThreadID); err != nil {
		return saver.Config{}, err
	}
	if op.IfLatest {
		outs, err := s.Commit(ctx, []saver.Op{{Put: &op}})
		if err != nil {
			return saver.Config{}, err
		}
		return outs[0], nil
	}
	var out saver.Config
	_, err := s.write(ctx, op.Config.ThreadID, func(t *event.Thread) ([]event.Record, error) {
		recs, c, err := t.PlanPut(op.Config, op.Checkpoint, op.Metadata, op.NewVersions)
		out = c
		return recs, err
	})
	return out, err
}

// PutWrites implements saver.Saver.
func (s *Store) PutWrites(ctx context.Context, op saver.WritesOp) error {
	if err := saver.ValidateThread(op.Config.ThreadID); err != nil {
		return err
	}
	_, err := s.write(ctx, op.Config.ThreadID, func(t *event.Thread) ([]event.Record, error) {
		return t.PlanWrites(op.Config, op.Writes, op.TaskID)
	})
	return err
}

// DeleteThread implements saver.Saver.
func (s *Store) DeleteThread(ctx context.Context, threadID string) error {
	if err := saver.ValidateThread(threadID); err != nil {
		return err
	}
	seq, err := s.write(ctx, threadID, func(t *event.Thread) ([]event.Record, error) {
		return t.PlanDelete(), nil
	})
	if err != nil || seq == 0 {
		return err
	}
	return s.truncate(ctx, threadID, seq)
}

// truncate drops what the seed or tombstone at seq made unnecessary: the
// events before it (on a Truncater) and the out-of-line values nothing
// refers to any more (on a BlobStore), so that nothing of what it removed
// stays stored.
func (s *Store) truncate(ctx context.Context, thread string, before uint64) error {
	return s.dropBefore(ctx, thread, before, func() ([]string, error) {
		var keep []string
		err := s.view(ctx, thread, func(t *event.Thread) error {
			keep = t.BlobKeys()
			return nil
		})
		return keep, err
	})
}

// dropBefore drops the thread's events before seq (on a Truncater), and
// the out-of-line values (on a BlobStore) not among the keys keep returns,
// read once the events are gone.
func (s *Store) dropBefore(ctx context.Context, thread string, before uint64, keep func() ([]string, error)) error {
	if tr, ok := s.log.(Truncater); ok {
		if err := tr.Truncate(ctx, thread, before); err != nil {
			return fmt.Errorf("thread %q: drop events before %d: %w", thread, before, err)
		}
	}
	bs, ok := s.log.(BlobStore)
	if !ok {
		return nil
	}
	kept, err := keep()
	if err != nil {
		return err
	}
	var drop []string
	for key, err := range bs.Blobs(ctx, thread) {
		if err != nil {
			return fmt.Errorf("thread %q: list values kept out of line: %w", thread, err)
		}
		if _, ok := slices.BinarySearch(kept, key); !ok {
			drop = append(drop, key)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if err := bs.DeleteBlobs(ctx, thread, drop); err != nil {
		return fmt.Errorf("thread %q: drop values kept out of line: %w", thread, err)
	}
	return nil
}

// List implements saver.Saver. Each thread is read under its own lock; the
// tuples are materialized one at a time as the caller iterates.
func (s *Store) List(ctx context.Context, p saver.ListParams) iter.Seq2[*saver.Tuple, error] {
	return func(yield func(*saver.Tuple, error) bool) {
		type hit struct {
			thread string
			ref    event.Ref
		}
		var hits []hit
		threads := s.log.Threads(ctx)
		if p.ThreadID != "" {
			if err := saver.ValidateThread(p.ThreadID); err != nil {
				yield(nil, err)
				return
			}
			threads = func(yield func(string, error) bool) { yield(p.ThreadID, nil) }
		}
		for thread, err := range threads {
			if err != nil {
				yield(nil, fmt.Errorf("list threads: %w", err))
				return
			}
			err = s.view(ctx, thread, func(t *event.Thread) error {
				for _, ref := range t.Select(p) {
					hits = append(hits, hit{thread, ref})
				}
				return nil
			})
			if err != nil {
				yield(nil, err)
				return
			}
		}
		// One thread's checkpoints come in log order (Select's); across
		// threads there is no common log, and ids order them.
		if p.ThreadID == "" {
			slices.SortStableFunc(hits, func(a, b hit) int {
				if c := event.CompareRefs(b.ref, a.ref); c != 0 {
					return c
				}
				return strings.Compare(b.thread, a.thread)
			})
		}
		if p.Limit > 0 && len(hits) > p.Limit {
			hits = hits[:p.Limit]
		}
		// The selection read each thread fresh; the tuples come from the
		// same cache without asking the log again for every one.
		for _, h := range hits {
			var tu *saver.Tuple
			err := s.viewAt(ctx, h.thread, false, nil, func(t *event.Thread) error {
				if t.Has(h.ref) { // gone if deleted since the selection
					tu = t.Tuple(h.ref)
				}
				return nil
			})
			if err != nil {
				yield(nil, err)
				return
			}
			if tu != nil && !yield(tu, nil) {
				return
			}
		}
	}
}
