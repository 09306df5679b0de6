package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// lastSeqCounter counts the LastSeq requests made to a log.
type lastSeqCounter struct {
	eventstore.Log
	mu sync.Mutex
	n  int
}

func (l *lastSeqCounter) LastSeq(ctx context.Context, thread string) (uint64, error) {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return l.Log.LastSeq(ctx, thread)
}

// A cached read of a thread the store has not cached reads the log once
// (a new conversation's first invoke is not two requests for the same
// answer); a thread it has cached answers without the log, and asks the
// log again only for a checkpoint the cache lacks.
func TestCachedReadOfAnUncachedThreadReadsTheLogOnce(t *testing.T) {
	t.Parallel()
	l := &lastSeqCounter{Log: memory.NewLog()}
	s := eventstore.New(l, eventstore.Options{})
	if _, err := s.GetTupleCached(t.Context(), saver.Config{ThreadID: "new"}); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("a new thread: %v, want ErrNotFound", err)
	}
	if l.n != 1 {
		t.Fatalf("a new thread's cached read asked for the last sequence %d times, want once", l.n)
	}
	other := eventstore.New(l, eventstore.Options{})
	first, err := put(t, other, saver.Config{ThreadID: "t"}, saver.SourceInput, "1")
	if err != nil {
		t.Fatal(err)
	}
	l.n = 0
	if tu, err := s.GetTupleCached(t.Context(), first); err != nil || tu.Config != first {
		t.Fatalf("uncached thread another store wrote: %v, %v", tu, err)
	}
	if tu, err := s.GetTupleCached(t.Context(), saver.Config{ThreadID: "t"}); err != nil || tu.Config != first {
		t.Fatalf("cached head: %v, %v", tu, err)
	}
	if l.n != 1 {
		t.Fatalf("%d last-sequence requests, want 1 (the first read; the second is cached)", l.n)
	}
	second, err := put(t, other, first, saver.SourceLoop, "2")
	if err != nil {
		t.Fatal(err)
	}
	if tu, err := s.GetTupleCached(t.Context(), second); err != nil || tu.Config != second {
		t.Fatalf("a checkpoint the cache lacks: %v, %v; want it read from the log", tu, err)
	}
}
