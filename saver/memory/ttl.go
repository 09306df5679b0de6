package memory

import (
	"context"
	"iter"
	"sort"
	"time"

	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Config configures a Saver made by NewWith. The zero value gives New's
// saver.
type Config struct {
	// Store tunes the store; MaxThreads defaults to caching every thread
	// (the log is in memory anyway). Store.Retention makes idle threads
	// expire: the log stamps each append with Store.Retention.Now (time.Now
	// by default), so a test clock drives both.
	Store eventstore.Options
}

// NewWith returns an empty in-memory saver configured by cfg. Close it to
// stop its retention sweeper, if it has one.
func NewWith(cfg Config) *Saver {
	if cfg.Store.MaxThreads == 0 {
		cfg.Store.MaxThreads = -1
	}
	l := NewLog()
	l.now = cfg.Store.Retention.Now
	return &Saver{Store: eventstore.New(l, cfg.Store), log: l}
}

var (
	_ eventstore.Activity      = (*Log)(nil)
	_ eventstore.IdleForgetter = (*Log)(nil)
)

// idleness is when a thread's newest event was appended, and whether the
// store forgot it as idle.
type idleness struct {
	at     time.Time
	forgot bool
}

// stamp is the time of an append.
func (l *Log) stamp() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// LastAppend implements eventstore.Activity.
func (l *Log) LastAppend(_ context.Context, thread string) (uint64, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.threads[thread]; tl != nil {
		return tl.last, tl.idle.at, nil
	}
	return 0, time.Time{}, nil
}

// Idle implements eventstore.Activity.
func (l *Log) Idle(_ context.Context, cutoff time.Time) iter.Seq2[string, error] {
	l.mu.Lock()
	var ids []string
	for id, tl := range l.threads {
		if tl.last > 0 && !tl.idle.forgot && tl.idle.at.Before(cutoff) {
			ids = append(ids, id)
		}
	}
	l.mu.Unlock()
	sort.Strings(ids)
	return func(yield func(string, error) bool) {
		for _, id := range ids {
			if !yield(id, nil) {
				return
			}
		}
	}
}

// Forget implements eventstore.IdleForgetter.
func (l *Log) Forget(_ context.Context, thread string, seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.threads[thread]; tl != nil && tl.last == seq {
		tl.idle.forgot = true
	}
	return nil
}
