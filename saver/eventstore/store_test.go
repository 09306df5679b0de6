package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// faultyLog wraps a memory log: it can fail appends, count events read, and
// keep snapshots, like a durable backend would.
type faultyLog struct {
	*memory.Log
	mu         sync.Mutex
	failAppend error
	eventsRead int
	snaps      map[string][]byte
}

func (l *faultyLog) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	l.mu.Lock()
	err := l.failAppend
	l.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return l.Log.Append(ctx, thread, expect, payload)
}

func (l *faultyLog) Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		for ev, err := range l.Log.Read(ctx, thread, after) {
			l.mu.Lock()
			l.eventsRead++
			l.mu.Unlock()
			if !yield(ev, err) {
				return
			}
		}
	}
}

func (l *faultyLog) setFail(err error) { l.mu.Lock(); l.failAppend = err; l.mu.Unlock() }

type snapLog struct{ *faultyLog }

func (l snapLog) LoadSnapshot(_ context.Context, thread string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snaps[thread], nil
}

func (l snapLog) SaveSnapshot(_ context.Context, thread string, _ uint64, b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.snaps[thread] = b
	return nil
}

func setup(t *testing.T) (*faultyLog, *eventstore.Store, *eventstore.Store) {
	t.Helper()
	l := &faultyLog{Log: memory.NewLog(), snaps: map[string][]byte{}}
	return l, eventstore.New(l, eventstore.Options{}), eventstore.New(l, eventstore.Options{})
}

func put(t *testing.T, s saver.Saver, parent saver.Config, src saver.Source, v string) (saver.Config, error) {
	t.Helper()
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(parent.CheckpointID), TS: time.Now(),
		ChannelValues: map[string][]byte{"v": []byte(v)}, ChannelVersions: map[string]uint64{"v": 1}}
	return s.Put(t.Context(), saver.PutOp{Config: parent, Checkpoint: cp, Metadata: saver.Metadata{Source: src}, NewVersions: map[string]uint64{"v": 1}})
}

func value(t *testing.T, s saver.Saver, thread string) string {
	t.Helper()
	tu, err := s.GetTuple(t.Context(), saver.Config{ThreadID: thread})
	if err != nil {
		t.Fatal(err)
	}
	return string(tu.Checkpoint.ChannelValues["v"])
}

func TestTwoStoresOnOneLogSeeEachOthersWrites(t *testing.T) {
	t.Parallel()
	_, a, b := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "from a")
	if err != nil {
		t.Fatal(err)
	}
	if got := value(t, b, "t"); got != "from a" {
		t.Fatalf("b reads %q", got)
	}
	if _, err := put(t, b, head, saver.SourceLoop, "from b"); err != nil {
		t.Fatal(err)
	}
	if got := value(t, a, "t"); got != "from b" {
		t.Fatalf("a reads %q after b wrote", got)
	}
}

func TestStaleStoreLosesTheRaceAndStoresNothing(t *testing.T) {
	t.Parallel()
	_, a, b := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "0")
	if err != nil {
		t.Fatal(err)
	}
	value(t, b, "t") // b's cache now holds the head
	if _, err := put(t, a, head, saver.SourceLoop, "a wins"); err != nil {
		t.Fatal(err)
	}
	// b appends on a stale sequence; the log refuses, b catches up, plans
	// again and finds the head already continued.
	_, err = put(t, b, head, saver.SourceLoop, "b loses")
	var ce *saver.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("b: %v, want a ConflictError", err)
	}
	if got := value(t, a, "t"); got != "a wins" {
		t.Fatalf("head holds %q", got)
	}
}

func TestStaleStoreRetriesWhatIsSafe(t *testing.T) {
	t.Parallel()
	_, a, b := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "0")
	if err != nil {
		t.Fatal(err)
	}
	value(t, b, "t")
	// Writes of different tasks do not conflict: b's stale append is
	// planned again and lands.
	if err := a.PutWrites(t.Context(), saver.WritesOp{Config: head, Writes: []saver.Write{{Channel: "x", Value: []byte("a")}}, TaskID: "task-a"}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutWrites(t.Context(), saver.WritesOp{Config: head, Writes: []saver.Write{{Channel: "x", Value: []byte("b")}}, TaskID: "task-b"}); err != nil {
		t.Fatal(err)
	}
	tu, err := a.GetTuple(t.Context(), head)
	if err != nil {
		t.Fatal(err)
	}
	if len(tu.PendingWrites) != 2 {
		t.Fatalf("%d writes, want both tasks'", len(tu.PendingWrites))
	}
}

func TestFailedAppendLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	l, a, _ := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "0")
	if err != nil {
		t.Fatal(err)
	}
	gone := errors.New("server went away")
	l.setFail(gone)
	if _, err := put(t, a, head, saver.SourceLoop, "lost"); !errors.Is(err, gone) {
		t.Fatalf("put: %v, want the log's error", err)
	}
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(head.CheckpointID)}
	_, err = a.Commit(t.Context(), []saver.Op{
		{Put: &saver.PutOp{Config: head, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop}}},
		{Writes: &saver.WritesOp{Config: saver.Config{ThreadID: "t", CheckpointID: cp.ID}, Writes: []saver.Write{{Channel: "x"}}, TaskID: "t"}},
	})
	if !errors.Is(err, gone) {
		t.Fatalf("commit: %v, want the log's error", err)
	}
	l.setFail(nil)
	if got := value(t, a, "t"); got != "0" {
		t.Fatalf("after failed writes the head holds %q", got)
	}
	if _, err := a.GetTuple(t.Context(), saver.Config{ThreadID: "t", CheckpointID: cp.ID}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("the failed commit's checkpoint is visible: %v", err)
	}
	if _, err := put(t, a, head, saver.SourceLoop, "1"); err != nil {
		t.Fatalf("the store does not recover: %v", err)
	}
}

func TestCorruptEventIsLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	l, a, _ := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Log.Append(t.Context(), "t", 1, []byte("\xc1 not msgpack")); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	fresh := eventstore.New(l, eventstore.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if got := value(t, fresh, "t"); got != "0" {
		t.Fatalf("reads %q", got)
	}
	if !strings.Contains(logged.String(), "seq=2") || !strings.Contains(logged.String(), "thread=t") {
		t.Fatalf("log does not name thread and sequence: %s", logged.String())
	}
	if _, err := put(t, fresh, head, saver.SourceLoop, "1"); err != nil {
		t.Fatalf("writing after a corrupt event: %v", err)
	}
}

func TestColdStoreStartsFromTheSnapshot(t *testing.T) {
	t.Parallel()
	fl := &faultyLog{Log: memory.NewLog(), snaps: map[string][]byte{}}
	l := snapLog{fl}
	w := eventstore.New(l, eventstore.Options{MinSnapshotBytes: 1024})
	cfg := saver.Config{ThreadID: "long"}
	big := strings.Repeat("m", 100)
	var err error
	for i := range 200 {
		src := saver.SourceLoop
		if i == 0 {
			src = saver.SourceInput
		}
		big += "0123456789"
		if cfg, err = put(t, w, cfg, src, big); err != nil {
			t.Fatal(err)
		}
	}
	if fl.snaps["long"] == nil {
		t.Fatal("no snapshot was taken")
	}
	fl.mu.Lock()
	fl.eventsRead = 0
	fl.mu.Unlock()
	cold := eventstore.New(l, eventstore.Options{})
	if got := value(t, cold, "long"); got != big {
		t.Fatalf("cold read differs (%d bytes, want %d)", len(got), len(big))
	}
	if fl.eventsRead >= 100 {
		t.Fatalf("cold read folded %d events despite the snapshot", fl.eventsRead)
	}
	logBytes := 0
	for ev := range fl.Log.Read(t.Context(), "long", 0) {
		logBytes += len(ev.Payload)
	}
	if size := len(fl.snaps["long"]); size > logBytes {
		t.Fatalf("snapshot of %d bytes outweighs the %d-byte log", size, logBytes)
	}
}

func TestStaleCacheNeverGivesAWrongError(t *testing.T) {
	t.Parallel()
	_, a, b := setup(t)
	head, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "0")
	if err != nil {
		t.Fatal(err)
	}
	value(t, b, "t") // b caches the thread at the head
	child, err := put(t, a, head, saver.SourceLoop, "1")
	if err != nil {
		t.Fatal(err)
	}
	// b's cache has never seen child: the write must still land.
	if err := b.PutWrites(t.Context(), saver.WritesOp{Config: child, Writes: []saver.Write{{Channel: "x"}}, TaskID: "task"}); err != nil {
		t.Fatalf("writes to a checkpoint another store made: %v", err)
	}
}

// A cached read may miss what another process wrote; a commit built on it
// with IfLatest is refused with ErrStale and stores nothing, and a fresh
// read then sees the other write.
func TestCommitIfLatestRefusesWhatACachedReadMissed(t *testing.T) {
	t.Parallel()
	l, a, b := setup(t)
	first, err := put(t, a, saver.Config{ThreadID: "t"}, saver.SourceInput, "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, b, first, saver.SourceLoop, "2"); err != nil { // another process
		t.Fatal(err)
	}
	stale, err := a.GetTupleCached(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil || stale.Config != first {
		t.Fatalf("cached read: %v, %v; want the first checkpoint, which a last saw", stale, err)
	}
	before, _ := l.LastSeq(t.Context(), "t")
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(first.CheckpointID), ChannelValues: map[string][]byte{"v": []byte("3")}, ChannelVersions: map[string]uint64{"v": 2}}
	_, err = a.Commit(t.Context(), []saver.Op{{Put: &saver.PutOp{Config: first, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceInput}, NewVersions: map[string]uint64{"v": 2}, IfLatest: true}}})
	if !errors.Is(err, saver.ErrStale) {
		t.Fatalf("commit on a stale read: %v, want ErrStale", err)
	}
	if after, _ := l.LastSeq(t.Context(), "t"); after != before {
		t.Fatalf("a refused commit appended: last sequence %d, was %d", after, before)
	}
	fresh, err := a.GetTuple(t.Context(), saver.Config{ThreadID: "t"})
	if err != nil || string(fresh.Checkpoint.ChannelValues["v"]) != "2" {
		t.Fatalf("fresh read: %v, %v; want the other process's checkpoint", fresh, err)
	}
}

// blockingSnapLog holds every snapshot save until released.
type blockingSnapLog struct {
	snapLog
	release chan struct{}
	saved   chan uint64
}

func (l blockingSnapLog) SaveSnapshot(ctx context.Context, thread string, seq uint64, b []byte) error {
	<-l.release
	err := l.snapLog.SaveSnapshot(ctx, thread, seq, b)
	l.saved <- seq
	return err
}

// With SnapshotInBackground, a write that makes a snapshot due does not
// wait for it; the snapshot holds the state as of that write, and Flush
// waits for it.
func TestBackgroundSnapshotDoesNotHoldUpWrites(t *testing.T) {
	t.Parallel()
	l := blockingSnapLog{snapLog{&faultyLog{Log: memory.NewLog(), snaps: map[string][]byte{}}}, make(chan struct{}), make(chan uint64, 8)}
	s := eventstore.New(l, eventstore.Options{MinSnapshotBytes: 1, SnapshotInBackground: true})
	first, err := put(t, s, saver.Config{ThreadID: "t"}, saver.SourceInput, "1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := first
	for i := range 5 { // the snapshot the first write made due is still being saved
		if cfg, err = put(t, s, cfg, saver.SourceLoop, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	close(l.release)
	if seq := <-l.saved; seq != 1 {
		t.Fatalf("first snapshot at sequence %d, want 1 (the write that made it due)", seq)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	snap, _ := l.LoadSnapshot(t.Context(), "t")
	restored, err := event.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if restored.Seq < 1 || !restored.Has(event.Ref{ID: first.CheckpointID}) {
		t.Fatalf("snapshot at %d does not hold the first checkpoint", restored.Seq)
	}
}
