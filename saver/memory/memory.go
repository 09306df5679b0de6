// Package memory is the development saver: every thread is an event log
// held in memory, folded by the same code as the durable savers, so a graph
// means the same thing here as on SQLite, PostgreSQL or JetStream. Nothing
// survives the process.
//
// The saver holds every thread's events, as stored: about the bytes a
// durable saver would write. The folded state of a thread, which takes two
// to three times that, is a cache of the threads used last, bounded as on
// the durable savers (eventstore.Options: MaxThreads and MaxCacheBytes at
// their defaults); a thread it evicted is folded again from its events when
// next used, to the same state.
package memory

import (
	"context"
	"iter"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Saver is an in-memory saver.Saver. It is safe for concurrent use.
type Saver struct {
	*eventstore.Store
	log *Log
}

// New returns an empty in-memory saver.
func New() *Saver { return NewWithOptions(eventstore.Options{}) }

// NewWithOptions returns an empty in-memory saver whose store is set up
// with opts: MaxThreads and MaxCacheBytes bound the cache of folded
// threads (negative values for both keep every thread folded, at two to
// three times the memory).
func NewWithOptions(opts eventstore.Options) *Saver {
	l := NewLog()
	return &Saver{Store: eventstore.New(l, opts), log: l}
}

// Log is an in-memory eventstore.Log: one slice of events per thread, with
// sequences that count up from 1 and never repeat, and a map of blobs per
// thread.
type Log struct {
	mu      sync.Mutex
	threads map[string]*threadLog
	blobs   map[string]map[string][]byte // thread -> key -> data
	now     func() time.Time             // append times (Retention); nil: time.Now
}

type threadLog struct {
	events []event.Event
	last   uint64
	idle   idleness // when last was appended (Retention)
}

var (
	_ eventstore.Log       = (*Log)(nil)
	_ eventstore.Truncater = (*Log)(nil)
	_ saver.Saver          = (*Saver)(nil)
)

// NewLog returns an empty log.
func NewLog() *Log { return &Log{threads: make(map[string]*threadLog)} }

// LastSeq implements eventstore.Log.
func (l *Log) LastSeq(_ context.Context, thread string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.threads[thread]; tl != nil {
		return tl.last, nil
	}
	return 0, nil
}

// Read implements eventstore.Log.
func (l *Log) Read(_ context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		for _, ev := range l.events(thread) {
			if ev.Seq > after && !yield(ev, nil) {
				return
			}
		}
	}
}

func (l *Log) events(thread string) []event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.threads[thread]; tl != nil {
		return slices.Clone(tl.events)
	}
	return nil
}

// Append implements eventstore.Log.
func (l *Log) Append(_ context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tl := l.threads[thread]
	if tl == nil {
		tl = &threadLog{}
		l.threads[thread] = tl
	}
	if tl.last != expect {
		return 0, &saver.ConflictError{ThreadID: thread, Reason: "log moved on", Expected: expect, Actual: tl.last}
	}
	tl.last++
	tl.idle = idleness{at: l.stamp()}
	// Kept, not copied: callers never change a payload once appended (see
	// eventstore.Log), and the store's cache shares these bytes.
	tl.events = append(tl.events, event.Event{Seq: tl.last, Payload: payload})
	return tl.last, nil
}

// Threads implements eventstore.Log.
func (l *Log) Threads(context.Context) iter.Seq2[string, error] {
	l.mu.Lock()
	ids := make([]string, 0, len(l.threads))
	for id := range l.threads {
		ids = append(ids, id)
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

// Truncate implements eventstore.Truncater. It never drops the newest event.
func (l *Log) Truncate(_ context.Context, thread string, before uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.threads[thread]; tl != nil && len(tl.events) > 0 {
		i := sort.Search(len(tl.events), func(i int) bool { return tl.events[i].Seq >= before })
		tl.events = slices.Clone(tl.events[min(i, len(tl.events)-1):])
	}
	return nil
}
