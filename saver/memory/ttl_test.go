package memory_test

import (
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/ttltest"
	"github.com/jetgraph/jetgraph/saver/memory"
)

func TestRetention(t *testing.T) {
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		log := memory.NewLog() // the store: instances share it
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			s := eventstore.New(log, eventstore.Options{Retention: r})
			t.Cleanup(func() { s.Close(t.Context()) })
			return s
		}
	})
}

func TestNewWithRetention(t *testing.T) {
	var clock ttltest.Clock
	s := memory.NewWith(memory.Config{Store: eventstore.Options{Retention: eventstore.Retention{TTL: ttltest.TTL, SweepEvery: -1, Now: clock.Now}}})
	defer s.Close(t.Context())
	if s.Retention().TTL != ttltest.TTL {
		t.Fatalf("retention %+v", s.Retention())
	}
	if n, err := s.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep of an empty saver: %d, %v", n, err)
	}
}

// The memory saver is an Activity log: its own retention works without
// the store being told anything else.
func TestMemorySaverReportsAppendTimes(t *testing.T) {
	l := memory.NewLog()
	var _ eventstore.Activity = l
	before := time.Now()
	if _, err := l.Append(t.Context(), "t", 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	seq, at, err := l.LastAppend(t.Context(), "t")
	if err != nil || seq != 1 || at.Before(before) || at.After(time.Now()) {
		t.Fatalf("LastAppend = %d, %v, %v; appended after %v", seq, at, err, before)
	}
}
