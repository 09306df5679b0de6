package natsjs_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// Tail after a sequence the stream has not reached waits for it: it yields
// only the thread's events past it, and stops when its context ends. After
// the largest sequence, which nothing follows, it is an error at once, not
// a wait without end.
func TestTailAfterAFutureSequence(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	s := open(t, js, isolated(1))
	ctx := t.Context()
	chat(t, s, "t", 2, 10)
	last, err := s.EventLog().LastSeq(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	after := last + 4

	tailCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	got, done := make(chan uint64, 64), make(chan error, 1)
	go func() {
		for ev, err := range s.Tail(tailCtx, "t", after) {
			if err != nil {
				done <- err
				return
			}
			got <- ev.Seq
		}
		done <- nil
	}()
	chat(t, s, "t", 8, 10) // at least 8 events: past after
	final, err := s.EventLog().LastSeq(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for seq := range got {
		if seq <= after {
			t.Fatalf("tail after %d yielded event %d", after, seq)
		}
		if seq == final {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail ended with %v, want nothing when its context ends", err)
	}

	var errs []error
	for _, err := range s.Tail(ctx, "t", math.MaxUint64) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], saver.ErrInvalid) {
		t.Fatalf("tail after the largest sequence: %v, want one error matching saver.ErrInvalid", errs)
	}
}
