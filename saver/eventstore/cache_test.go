package eventstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// converse grows a conversation on thread: turns checkpoints, each
// appending a message of size bytes to channel "msgs", the way a graph's
// messages channel grows.
func converse(t *testing.T, s saver.Saver, thread string, turns, size int, r *rand.Rand) {
	t.Helper()
	head := saver.Config{ThreadID: thread}
	var msgs []byte
	if tu, err := s.GetTuple(t.Context(), head); err == nil {
		head, msgs = tu.Config, tu.Checkpoint.ChannelValues["msgs"]
	} else if !errors.Is(err, saver.ErrNotFound) {
		t.Error(err)
		return
	}
	for range turns {
		msg := []byte(strings.Repeat(string(rune('a'+r.IntN(26))), size))
		next := append(msgs[:len(msgs):len(msgs)], msg...)
		cp := saver.Checkpoint{ID: saver.NewCheckpointID(head.CheckpointID), TS: time.Now(),
			ChannelValues: map[string][]byte{"msgs": next}, ChannelVersions: map[string]uint64{"msgs": uint64(len(next))}}
		out, err := s.Put(t.Context(), saver.PutOp{Config: head, Checkpoint: cp,
			Metadata: saver.Metadata{Source: saver.SourceLoop}, NewVersions: map[string]uint64{"msgs": uint64(len(next))}})
		if err != nil {
			t.Error(err)
			return
		}
		head, msgs = out, next
	}
}

// history renders every checkpoint of thread, newest first.
func history(t *testing.T, s saver.Saver, thread string) string {
	t.Helper()
	var b strings.Builder
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: thread}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %x\n", tu.Config.CheckpointID, tu.Metadata.Source, tu.Checkpoint.ChannelValues["msgs"])
	}
	return b.String()
}

func TestTheThreadCacheStaysWithinItsByteBound(t *testing.T) {
	t.Parallel()
	const bound = 64 << 10
	log := memory.NewLog()
	s := eventstore.New(log, eventstore.Options{MaxThreads: -1, MaxCacheBytes: bound})
	const threads, workers = 200, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for round := range 3 {
				for i := w; i < threads; i += workers {
					converse(t, s, fmt.Sprint("t", i), 2+round, 100, r)
					// Threads in use may take the cache past its bound while
					// they are; never by more than the workers' threads.
					if n, b := s.CachedThreads(); b > bound+workers*8<<10 {
						t.Errorf("cache holds %d threads counting %d bytes, bound %d", n, b, bound)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	n, b := s.CachedThreads()
	if b > bound || b <= 0 || n >= threads {
		t.Fatalf("after the writes the cache holds %d of %d threads counting %d bytes; want at most %d bytes", n, threads, b, bound)
	}
	var stored int64
	for i := range threads {
		for ev, err := range log.Read(t.Context(), fmt.Sprint("t", i), 0) {
			if err != nil {
				t.Fatal(err)
			}
			stored += int64(len(ev.Payload))
		}
	}
	if stored < 4*bound { // the bound must have bitten
		t.Fatalf("the threads stored only %d bytes", stored)
	}
	t.Logf("%d threads stored %d bytes; the cache holds %d threads counting %d bytes", threads, stored, n, b)
}

func TestAnEvictedThreadReadsAsBefore(t *testing.T) {
	t.Parallel()
	log := memory.NewLog()
	small := eventstore.New(log, eventstore.Options{MaxThreads: -1, MaxCacheBytes: 8 << 10})
	r := rand.New(rand.NewPCG(3, 3))
	converse(t, small, "first", 10, 200, r)
	before := history(t, small, "first")
	if n, _ := small.CachedThreads(); n != 1 {
		t.Fatalf("cache holds %d threads, want 1", n)
	}
	for i := range 20 { // push "first" out
		converse(t, small, fmt.Sprint("other", i), 5, 200, r)
	}
	after := history(t, small, "first") // folded again from the log
	cold := history(t, eventstore.New(log, eventstore.Options{}), "first")
	if before != after || after != cold {
		t.Fatalf("an evicted thread reads differently:\nbefore:\n%s\nafter:\n%s\ncold:\n%s", before, after, cold)
	}
	// And it goes on from where it was.
	converse(t, small, "first", 3, 200, r)
	if got, want := history(t, small, "first"), history(t, eventstore.New(log, eventstore.Options{}), "first"); got != want || strings.Count(got, "\n") != 13 {
		t.Fatalf("after eviction the thread continued to\n%s\nwant\n%s", got, want)
	}
}
