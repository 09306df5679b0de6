package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// swappableLog is a memory log that a test can replace whole, as a
// restored backup or a recreated stream replaces a log under a running
// store.
type swappableLog struct {
	mu  sync.Mutex
	cur *memory.Log
}

func (l *swappableLog) log() *memory.Log   { l.mu.Lock(); defer l.mu.Unlock(); return l.cur }
func (l *swappableLog) swap(n *memory.Log) { l.mu.Lock(); l.cur = n; l.mu.Unlock() }

func (l *swappableLog) LastSeq(ctx context.Context, thread string) (uint64, error) {
	return l.log().LastSeq(ctx, thread)
}
func (l *swappableLog) Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return l.log().Read(ctx, thread, after)
}
func (l *swappableLog) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	return l.log().Append(ctx, thread, expect, payload)
}
func (l *swappableLog) Threads(ctx context.Context) iter.Seq2[string, error] {
	return l.log().Threads(ctx)
}

func TestALogReplacedUnderTheStoreIsFoldedAfresh(t *testing.T) {
	t.Parallel()
	l := &swappableLog{cur: memory.NewLog()}
	s := eventstore.New(l, eventstore.Options{})
	cfg := saver.Config{ThreadID: "t"}
	for i := range 3 {
		var err error
		cfg, err = put(t, s, cfg, saver.SourceLoop, "old-"+string(rune('a'+i)))
		must(t, err)
	}
	// Another log whose thread has grown past the cached sequence.
	other := memory.NewLog()
	w := eventstore.New(other, eventstore.Options{})
	ocfg := saver.Config{ThreadID: "t"}
	for i := range 5 {
		var err error
		ocfg, err = put(t, w, ocfg, saver.SourceLoop, "new-"+string(rune('a'+i)))
		must(t, err)
	}
	l.swap(other)
	if got := value(t, s, "t"); got != "new-e" {
		t.Fatalf("after the log was replaced the store reads %q, want new-e", got)
	}
	n := 0
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: "t"}) {
		must(t, err)
		if strings.HasPrefix(string(tu.Checkpoint.ChannelValues["v"]), "old-") {
			t.Fatalf("a checkpoint of the replaced log is still listed: %s", tu.Config.CheckpointID)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("%d checkpoints listed, want 5", n)
	}
}

func TestReplayToARangeThatIsGoneIsAnError(t *testing.T) {
	t.Parallel()
	_, s, _ := setup(t)
	cfg := saver.Config{ThreadID: "t"}
	for i := range 4 {
		var err error
		cfg, err = put(t, s, cfg, saver.SourceLoop, string(rune('a'+i)))
		must(t, err)
	}
	th, err := s.ReplayTo(t.Context(), "t", 2)
	must(t, err)
	if tu, _ := th.Get(saver.Config{ThreadID: "t"}); string(tu.Checkpoint.ChannelValues["v"]) != "b" {
		t.Fatalf("replay to 2 gives %q", tu.Checkpoint.ChannelValues["v"])
	}
	must(t, s.Prune(t.Context(), []string{"t"}, saver.PruneKeepLatest))
	if _, err := s.ReplayTo(t.Context(), "t", 2); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("replay into the pruned range: %v, want ErrNotFound", err)
	}
	if _, err := s.ReplayTo(t.Context(), "t", 5); err != nil {
		t.Fatalf("replay to the prune's seed: %v", err)
	}
	must(t, s.DeleteThread(t.Context(), "t"))
	for _, seq := range []uint64{3, 5, 6} {
		if _, err := s.ReplayTo(t.Context(), "t", seq); !errors.Is(err, saver.ErrNotFound) {
			t.Fatalf("replay of a deleted thread to %d: %v, want ErrNotFound", seq, err)
		}
	}
}

// blobLog is a memory log with a blob store and an append limit, like the
// JetStream log on a server with a small max payload.
type blobLog struct {
	*memory.Log
	limit int
	mu    sync.Mutex
	blobs map[string][]byte // thread + "/" + key
}

func (l *blobLog) MaxAppendBytes() int { return l.limit }

func (l *blobLog) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	if len(payload) > l.limit {
		return 0, saver.ErrTooLarge
	}
	return l.Log.Append(ctx, thread, expect, payload)
}

func (l *blobLog) PutBlob(_ context.Context, thread, key string, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blobs[thread+"/"+key] = bytes.Clone(data)
	return nil
}

func (l *blobLog) GetBlob(_ context.Context, thread, key string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.blobs[thread+"/"+key]; ok {
		return b, nil
	}
	return nil, saver.ErrNotFound
}

func (l *blobLog) Blobs(_ context.Context, thread string) iter.Seq2[string, error] {
	l.mu.Lock()
	var keys []string
	for k := range l.blobs {
		if th, key, _ := strings.Cut(k, "/"); th == thread {
			keys = append(keys, key)
		}
	}
	l.mu.Unlock()
	return func(yield func(string, error) bool) {
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

func (l *blobLog) DeleteBlobs(_ context.Context, thread string, keys []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.blobs, thread+"/"+k)
	}
	return nil
}

func (l *blobLog) stored(thread string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k := range l.blobs {
		if th, key, _ := strings.Cut(k, "/"); th == thread {
			out = append(out, key)
		}
	}
	return out
}

func TestLargeValuesAreStoredOutOfLineAndGoWithTheThread(t *testing.T) {
	t.Parallel()
	l := &blobLog{Log: memory.NewLog(), limit: 4 << 10, blobs: map[string][]byte{}}
	s := eventstore.New(l, eventstore.Options{MaxValueBytes: 1 << 20})
	big := bytes.Repeat([]byte("x"), 100<<10)
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now(), ChannelValues: map[string][]byte{"v": big}, ChannelVersions: map[string]uint64{"v": 1}}
	cfg, err := s.Put(t.Context(), saver.Config{ThreadID: "t"}, cp, saver.Metadata{Source: saver.SourceInput}, map[string]uint64{"v": 1})
	must(t, err)
	must(t, s.PutWrites(t.Context(), cfg, []saver.Write{{Channel: "v", Value: big}}, "task"))
	if got := l.stored("t"); len(got) != 1 {
		t.Fatalf("blobs of t: %v, want the one value once", got)
	}
	// a fresh store reads it back, from the log and the blobs
	fresh := eventstore.New(l, eventstore.Options{})
	tu, err := fresh.GetTuple(t.Context(), cfg)
	must(t, err)
	if !bytes.Equal(tu.Checkpoint.ChannelValues["v"], big) || !bytes.Equal(tu.PendingWrites[0].Value, big) {
		t.Fatal("a fresh store did not read the large values back")
	}
	// a fork stores what it refers to under its own thread
	fcfg, err := s.ForkThread(t.Context(), cfg, "fork")
	must(t, err)
	must(t, s.DeleteThread(t.Context(), "t"))
	if got := l.stored("t"); len(got) != 0 {
		t.Fatalf("blobs of the deleted thread remain: %v", got)
	}
	tu, err = eventstore.New(l, eventstore.Options{}).GetTuple(t.Context(), fcfg)
	must(t, err)
	if !bytes.Equal(tu.Checkpoint.ChannelValues["v"], big) {
		t.Fatal("the fork lost its value when the source was deleted")
	}
	// too large: one value above the maximum, or an event above the limit
	huge := saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now(), ChannelValues: map[string][]byte{"v": make([]byte, 2<<20)}, ChannelVersions: map[string]uint64{"v": 1}}
	_, err = s.Put(t.Context(), saver.Config{ThreadID: "huge"}, huge, saver.Metadata{Source: saver.SourceInput}, map[string]uint64{"v": 1})
	if !errors.Is(err, saver.ErrTooLarge) {
		t.Fatalf("a value above MaxValueBytes: %v, want ErrTooLarge", err)
	}
	many := saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now(), ChannelValues: map[string][]byte{}, ChannelVersions: map[string]uint64{}}
	nv := map[string]uint64{}
	for i := range 100 {
		ch := "c" + strings.Repeat("x", i)
		many.ChannelValues[ch], many.ChannelVersions[ch], nv[ch] = bytes.Repeat([]byte("y"), 200), 1, 1
	}
	_, err = s.Put(t.Context(), saver.Config{ThreadID: "many"}, many, saver.Metadata{Source: saver.SourceInput}, nv)
	if !errors.Is(err, saver.ErrTooLarge) {
		t.Fatalf("an event above the append limit: %v, want ErrTooLarge", err)
	}
	for _, th := range []string{"huge", "many"} {
		if last, _ := l.LastSeq(t.Context(), th); last != 0 || len(l.stored(th)) != 0 {
			t.Fatalf("a refused write stored something on %s", th)
		}
	}

}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lostAckLog stores an append and then reports an error, once, as a
// server does whose answer is lost on the way back.
type lostAckLog struct {
	*memory.Log
	mu   sync.Mutex
	lose bool
}

func (l *lostAckLog) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	seq, err := l.Log.Append(ctx, thread, expect, payload)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && l.lose {
		l.lose = false
		return 0, context.DeadlineExceeded
	}
	return seq, err
}

func TestARetriedWriteWhoseFirstAttemptLandedIsStoredOnce(t *testing.T) {
	t.Parallel()
	l := &lostAckLog{Log: memory.NewLog()}
	s := eventstore.New(l, eventstore.Options{})
	cfg, err := put(t, s, saver.Config{ThreadID: "t"}, saver.SourceInput, "a")
	must(t, err)
	cp := saver.Checkpoint{ID: saver.NewCheckpointID(cfg.CheckpointID), TS: time.Now(),
		ChannelValues: map[string][]byte{"v": []byte("b")}, ChannelVersions: map[string]uint64{"v": 2}}
	writes := []saver.Write{{Channel: "v", Value: []byte("b")}}
	ops := []saver.Op{
		{Writes: &saver.WritesOp{Config: cfg, TaskID: "task", Writes: writes}},
		{Put: &saver.PutOp{Config: cfg, Checkpoint: cp, Metadata: saver.Metadata{Source: saver.SourceLoop}, NewVersions: map[string]uint64{"v": 2}, IfLatest: true}},
	}
	// The put first: the commit then holds it already, and adds writes.
	for _, c := range []struct {
		name  string
		write func() error
	}{
		{"put", func() error {
			_, err := s.Put(t.Context(), cfg, cp, saver.Metadata{Source: saver.SourceLoop}, map[string]uint64{"v": 2})
			return err
		}},
		{"commit", func() error { _, err := s.Commit(t.Context(), ops); return err }},
	} {
		name, write := c.name, c.write
		before, _ := l.LastSeq(t.Context(), "t")
		l.mu.Lock()
		l.lose = true
		l.mu.Unlock()
		if err := write(); err == nil {
			t.Fatalf("%s: the lost answer was not reported", name)
		}
		must(t, write()) // the caller sends it again
		after, _ := l.LastSeq(t.Context(), "t")
		if name == "put" && after != before+1 || name == "commit" && after > before+1 {
			t.Fatalf("%s: %d events appended, want it stored once", name, after-before)
		}
	}
}
