// Package ttltest checks a saver's retention (eventstore.Retention) from
// outside: with a short TTL, through several saver instances on one store,
// as production runs them. Each saver's tests call Run with a way to open
// instances on a fresh store.
package ttltest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Instance is one saver on the store under test.
type Instance interface {
	saver.Saver
	// Sweep expires the idle threads now (eventstore.Store.Sweep).
	Sweep(ctx context.Context) (int, error)
	// Events yields a thread's stored events (eventstore.Store.Events).
	Events(ctx context.Context, thread string) iter.Seq2[event.Event, error]
	// Log returns the store's log (eventstore.Store.Log).
	Log() eventstore.Log
	Close(ctx context.Context) error
}

// Opener opens a new saver instance on the test's store with the given
// retention. The instance is closed when the test ends (closing it before
// must be allowed).
type Opener func(t *testing.T, r eventstore.Retention) Instance

// TTL is the retention the tests use.
const TTL = 300 * time.Millisecond

// Run runs the retention tests. newStore makes a fresh, empty store for
// one test and returns how to open instances on it.
func Run(t *testing.T, newStore func(t *testing.T) Opener) {
	t.Run("IdleThreadExpires", func(t *testing.T) { idleThreadExpires(t, newStore(t)) })
	t.Run("ReadsDoNotServeAnExpiredThread", func(t *testing.T) { readsExpire(t, newStore(t)) })
	t.Run("ActiveThreadStaysAlive", func(t *testing.T) { activeStays(t, newStore(t)) })
	t.Run("LateWriteStaysDeleted", func(t *testing.T) { lateWrite(t, newStore(t)) })
	t.Run("SweeperVersusWriter", func(t *testing.T) { race(t, newStore(t)) })
	t.Run("SweeperStopsOnClose", func(t *testing.T) { stopsOnClose(t, newStore(t)) })
}

// Clock is a settable clock: time.Now moved by an offset, or stopped.
type Clock struct {
	off     atomic.Int64
	stopped atomic.Pointer[time.Time]
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	if at := c.stopped.Load(); at != nil {
		return *at
	}
	return time.Now().Add(time.Duration(c.off.Load()))
}

// Skip moves the clock d ahead of the real time.
func (c *Clock) Skip(d time.Duration) { c.off.Store(int64(d)) }

// Stop makes the clock read at until it is stopped elsewhere.
func (c *Clock) Stop(at time.Time) { c.stopped.Store(&at) }

func put(t *testing.T, s saver.Saver, parent saver.Config, value string) saver.Config {
	t.Helper()
	c, err := tryPut(t.Context(), s, parent, value)
	if err != nil {
		t.Fatalf("put %q on thread %q: %v", value, parent.ThreadID, err)
	}
	return c
}

func tryPut(ctx context.Context, s saver.Saver, parent saver.Config, value string) (saver.Config, error) {
	step := 0
	if parent.CheckpointID == "" {
		step = -1
	}
	cp := saver.Checkpoint{
		ID:              saver.NewCheckpointID(parent.CheckpointID),
		TS:              time.Unix(1700000000, 0).UTC(),
		ChannelValues:   map[string][]byte{"v": []byte(value)},
		ChannelVersions: map[string]uint64{"v": uint64(step + 2)},
	}
	return s.Put(ctx, saver.PutOp{Config: parent, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop, Step: step}, NewVersions: map[string]uint64{"v": uint64(step + 2)}})
}

// value returns the thread's latest value, or the read's error.
func value(ctx context.Context, s saver.Saver, cfg saver.Config) (string, saver.Config, error) {
	tu, err := s.GetTuple(ctx, cfg)
	if err != nil {
		return "", saver.Config{}, err
	}
	return string(tu.Checkpoint.ChannelValues["v"]), tu.Config, nil
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantDeleted checks that the thread reads as deleted through s: no
// latest, no checkpoint c, no history, and only a tombstone stored.
func wantDeleted(t *testing.T, s Instance, cs ...saver.Config) {
	t.Helper()
	if err := deleted(t.Context(), s, cs...); err != nil {
		t.Fatal(err)
	}
}

// deleted says what of the thread cs belong to s still shows.
func deleted(ctx context.Context, s Instance, cs ...saver.Config) error {
	thread := cs[0].ThreadID
	if _, _, err := value(ctx, s, saver.Config{ThreadID: thread}); !errors.Is(err, saver.ErrNotFound) {
		return fmt.Errorf("latest of expired thread %q: err %v, want not found", thread, err)
	}
	for _, c := range cs {
		if _, _, err := value(ctx, s, c); !errors.Is(err, saver.ErrNotFound) {
			return fmt.Errorf("checkpoint %s of expired thread %q: err %v, want not found", c.CheckpointID, thread, err)
		}
	}
	for tu, err := range s.List(ctx, saver.ListParams{ThreadID: thread}) {
		if err != nil {
			return err
		}
		return fmt.Errorf("expired thread %q still lists checkpoint %s", thread, tu.Config.CheckpointID)
	}
	n := 0
	for ev, err := range s.Events(ctx, thread) {
		if err != nil {
			return err
		}
		n++
		if recs, err := event.Decode(ev.Payload); err != nil || len(recs) != 1 || recs[0].Kind != event.KindTombstone {
			return fmt.Errorf("expired thread %q keeps event %d: %v %v", thread, ev.Seq, recs, err)
		}
	}
	if n != 1 {
		return fmt.Errorf("expired thread %q stores %d events, want its tombstone alone", thread, n)
	}
	if bs, ok := s.Log().(eventstore.BlobStore); ok {
		for key, err := range bs.Blobs(ctx, thread) {
			if err != nil {
				return err
			}
			return fmt.Errorf("expired thread %q keeps the value %s out of line", thread, key)
		}
	}
	return nil
}

// large is a value stored out of line on every saver that keeps any.
var large = strings.Repeat("large value ", 40<<10)

func idleThreadExpires(t *testing.T, open Opener) {
	ctx := t.Context()
	var clock Clock
	clock.Skip(-time.Hour) // however slow this machine, the thread is fresh to a while it is written
	a := open(t, eventstore.Retention{TTL: TTL, SweepEvery: TTL / 6, Now: clock.Now})
	b := open(t, eventstore.Retention{}) // keeps threads for ever itself
	c1 := put(t, a, saver.Config{ThreadID: "idle"}, "one")
	c2 := put(t, b, c1, large)
	if err := b.PutWrites(ctx, saver.WritesOp{Config: c2, Writes: []saver.Write{{Channel: "v", Value: []byte("w")}}, TaskID: "task"}); err != nil {
		t.Fatal(err)
	}
	if bs, ok := b.Log().(eventstore.BlobStore); ok {
		n := 0
		for _, err := range bs.Blobs(ctx, "idle") {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n == 0 {
			t.Fatalf("a value of %d bytes is not stored out of line: the test checks nothing of blobs", len(large))
		}
	}
	clock.Skip(0) // real time: a TTL after the last write, a's sweeper expires it
	// The sweeper of a, alone, expires it; b sees it deleted, and once
	// the sweeper has dropped them, nothing of its events or values.
	waitFor(t, "the idle thread to read as deleted from a second instance", func() bool {
		return deleted(ctx, b, c1, c2) == nil
	})
	wantDeleted(t, b, c1, c2)
	wantDeleted(t, a, c1, c2)
	wantDeleted(t, open(t, eventstore.Retention{}), c1, c2)
}

func readsExpire(t *testing.T, open Opener) {
	ctx := t.Context()
	var clock Clock
	// However slow this machine, the thread is fresh to a until the test
	// moves its clock. a has no sweeper.
	clock.Skip(-time.Hour)
	a := open(t, eventstore.Retention{TTL: TTL, SweepEvery: -1, Now: clock.Now})
	b := open(t, eventstore.Retention{})
	c1 := put(t, b, saver.Config{ThreadID: "read"}, "one")
	if v, _, err := value(ctx, a, saver.Config{ThreadID: "read"}); err != nil || v != "one" {
		t.Fatalf("fresh thread reads %q, %v", v, err)
	}
	clock.Skip(TTL + time.Second) // a's clock: the thread is past its TTL
	if _, _, err := value(ctx, a, saver.Config{ThreadID: "read"}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("read of a thread past its TTL: err %v, want not found", err)
	}
	// The read expired it for everyone: a second instance sees the delete.
	wantDeleted(t, b, c1)
	if n, err := a.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep after the read expired the thread: %d expired, %v", n, err)
	}
}

func activeStays(t *testing.T, open Opener) {
	ctx := t.Context()
	open(t, eventstore.Retention{TTL: TTL, SweepEvery: TTL / 10}) // sweeps all along
	// The writer also has the TTL (its fresh reads expire idle threads) but
	// no sweeper.
	w := open(t, eventstore.Retention{TTL: TTL, SweepEvery: -1})
	b := open(t, eventstore.Retention{})
	tick := time.NewTicker(TTL / 10)
	defer tick.Stop()
	parent := saver.Config{ThreadID: "active"}
	var puts int
	lastStart := time.Now()
	for end := time.Now().Add(5 * TTL); time.Now().Before(end); <-tick.C {
		start := time.Now()
		c, err := tryPut(ctx, w, parent, fmt.Sprint(puts))
		if err == nil {
			_, _, err = value(ctx, w, saver.Config{ThreadID: "active"})
		}
		if err != nil {
			// Only a thread left idle for a TTL may expire: here, only if
			// this machine stalled the writer for that long.
			if gap := time.Since(lastStart); gap <= TTL || !errors.Is(err, saver.ErrDeleted) && !errors.Is(err, saver.ErrNotFound) {
				t.Fatalf("put %d, %v after the previous one started: %v", puts, gap, err)
			}
			t.Logf("the writer stalled for more than the TTL; the thread expired; starting it again")
			parent, puts = saver.Config{ThreadID: "active"}, 0
			continue
		}
		parent, lastStart = c, start
		puts++
	}
	stalled := func() bool {
		if time.Since(lastStart) > TTL {
			t.Logf("the test stalled for more than the TTL after its last put; the thread expired")
			return true
		}
		return false
	}
	v, latest, err := value(ctx, b, saver.Config{ThreadID: "active"})
	if errors.Is(err, saver.ErrNotFound) && stalled() {
		return
	}
	if err != nil || latest != parent || v != fmt.Sprint(puts-1) {
		t.Fatalf("active thread reads %q at %+v (%v), want %d at %+v", v, latest, err, puts-1, parent)
	}
	n := 0
	for _, err := range b.List(ctx, saver.ListParams{ThreadID: "active"}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != puts && !(n == 0 && stalled()) {
		t.Fatalf("active thread lists %d checkpoints, want %d", n, puts)
	}
}

func lateWrite(t *testing.T, open Opener) {
	ctx := t.Context()
	var clock Clock
	a := open(t, eventstore.Retention{TTL: TTL, SweepEvery: -1, Now: clock.Now})
	w := open(t, eventstore.Retention{}) // a run that read the thread before it expired
	c1 := put(t, w, saver.Config{ThreadID: "late"}, "one")
	c2 := put(t, w, c1, "two")
	// An id too long for a plain subject token (hashed on JetStream) is
	// found idle all the same.
	long := put(t, w, saver.Config{ThreadID: strings.Repeat("a long id. ", 90)}, "long")
	clock.Skip(TTL + time.Second)
	if n, err := a.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep: %d expired, %v; want 2", n, err)
	}
	// w's cache still holds the thread: its writes are refused by the log.
	if _, err := tryPut(ctx, w, c2, "late"); !errors.Is(err, saver.ErrDeleted) {
		t.Fatalf("put on the expired thread's latest checkpoint: %v, want ErrDeleted", err)
	}
	if _, err := tryPut(ctx, w, c1, "late"); !errors.Is(err, saver.ErrDeleted) {
		t.Fatalf("put on an old checkpoint of the expired thread: %v, want ErrDeleted", err)
	}
	err := w.PutWrites(ctx, saver.WritesOp{Config: c2, Writes: []saver.Write{{Channel: "v", Value: []byte("late")}}, TaskID: "task"})
	if !errors.Is(err, saver.ErrDeleted) {
		t.Fatalf("writes to the expired thread: %v, want ErrDeleted", err)
	}
	fresh := open(t, eventstore.Retention{})
	wantDeleted(t, fresh, c1, c2)
	wantDeleted(t, fresh, long)
	// Deleted stays deleted, but the id may start afresh, without the old
	// values.
	c := put(t, w, saver.Config{ThreadID: "late"}, "new")
	if v, latest, err := value(ctx, fresh, saver.Config{ThreadID: "late"}); err != nil || v != "new" || latest != c {
		t.Fatalf("restarted thread reads %q at %+v, %v", v, latest, err)
	}
	if _, _, err := value(ctx, fresh, c1); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("old checkpoint after restart: %v, want not found", err)
	}
}

// race lets a sweeper (or, every other round, a read) that finds a thread
// idle race a writer that appends to it, round after round. The writer's append comes after the sweeper's
// cutoff, so the sweeper must not expire the thread over it: either the
// writer's step lands and stays, or the tombstone landed first and the
// writer is told so. A step reported stored must never be gone.
func race(t *testing.T, open Opener) {
	ctx := t.Context()
	var clock Clock
	s := open(t, eventstore.Retention{TTL: time.Hour, SweepEvery: -1, Now: clock.Now})
	w := open(t, eventstore.Retention{})
	check := open(t, eventstore.Retention{})
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	var expired, kept int
	span := time.Millisecond
	for i := range rounds {
		thread := fmt.Sprint("race-", i)
		c0 := put(t, w, saver.Config{ThreadID: thread}, "zero")
		time.Sleep(2 * time.Millisecond)      // let the clock move past c0's append time (stores keep milliseconds)
		clock.Stop(time.Now().Add(time.Hour)) // s's cutoff: now; c0 is idle, the next put is not
		var wg sync.WaitGroup
		var putErr, sweepErr error
		var c1 saver.Config
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			// Rounds start the writer at different points of the sweep,
			// from its start to twice its length (nothing to wait for:
			// this only spreads the interleavings).
			time.Sleep(time.Duration(i%10) * span / 5)
			c1, putErr = tryPut(ctx, w, c0, "one")
		})
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				_, sweepErr = s.Sweep(ctx)
				return
			}
			// A fresh read that finds the thread idle expires it the same way.
			if _, _, err := value(ctx, s, saver.Config{ThreadID: thread}); err != nil && !errors.Is(err, saver.ErrNotFound) {
				sweepErr = err
			}
		})
		close(start)
		wg.Wait()
		if sweepErr != nil {
			t.Fatalf("round %d: sweep: %v", i, sweepErr)
		}
		v, latest, err := value(ctx, check, saver.Config{ThreadID: thread})
		switch {
		case putErr == nil:
			if err != nil || v != "one" || latest != c1 {
				t.Fatalf("round %d: the writer's step was stored, then lost to the sweeper: reads %q at %+v, %v", i, v, latest, err)
			}
			kept++
		case errors.Is(putErr, saver.ErrDeleted) || errors.Is(putErr, saver.ErrConflict):
			if !errors.Is(err, saver.ErrNotFound) {
				t.Fatalf("round %d: the put was refused (%v) but the thread reads %q, %v", i, putErr, v, err)
			}
			expired++
		default:
			t.Fatalf("round %d: put: %v", i, putErr)
		}
		// Expire the thread now, so that the next round's sweep finds only
		// its own thread idle and meets the writer there.
		clock.Stop(time.Now().Add(time.Hour + time.Millisecond))
		t0 := time.Now()
		if _, err := s.Sweep(ctx); err != nil {
			t.Fatalf("round %d: sweep after: %v", i, err)
		}
		span = time.Since(t0) // about what the next sweep takes
	}
	t.Logf("%d rounds: the writer won %d, the expiry %d", rounds, kept, expired)
}

// sweepers counts the goroutines a store's retention started: its
// sweeper and what the sweeper started.
func sweepers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			stacks := string(buf[:n])
			return strings.Count(stacks, "created by github.com/jetgraph/jetgraph/saver/eventstore.(*Store).startRetention") +
				strings.Count(stacks, "created by github.com/jetgraph/jetgraph/saver/eventstore.(*Store).sweeper")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func stopsOnClose(t *testing.T, open Opener) {
	before := sweepers()
	s := open(t, eventstore.Retention{TTL: TTL, SweepEvery: time.Millisecond})
	put(t, s, saver.Config{ThreadID: "close"}, "one")
	waitFor(t, "the sweeper to start", func() bool { return sweepers() > before })
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sweeper to stop after Close", func() bool { return sweepers() <= before })
}
