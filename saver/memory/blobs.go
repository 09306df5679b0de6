package memory

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sort"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

var _ eventstore.BlobStore = (*Log)(nil)

// PutBlob implements eventstore.BlobStore. The log keeps its own copy of
// data; storing a key that exists does nothing.
func (l *Log) PutBlob(_ context.Context, thread, key string, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.blobs == nil {
		l.blobs = make(map[string]map[string][]byte)
	}
	tb := l.blobs[thread]
	if tb == nil {
		tb = make(map[string][]byte)
		l.blobs[thread] = tb
	}
	if _, ok := tb[key]; !ok {
		tb[key] = slices.Clone(data)
	}
	return nil
}

// GetBlob implements eventstore.BlobStore. The returned bytes are the
// caller's own.
func (l *Log) GetBlob(_ context.Context, thread, key string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.blobs[thread][key]
	if !ok {
		return nil, fmt.Errorf("thread %q: blob %s: %w", thread, key, saver.ErrNotFound)
	}
	return slices.Clone(b), nil
}

// Blobs implements eventstore.BlobStore. The keys are read, sorted, before
// the first is yielded.
func (l *Log) Blobs(_ context.Context, thread string) iter.Seq2[string, error] {
	l.mu.Lock()
	keys := make([]string, 0, len(l.blobs[thread]))
	for k := range l.blobs[thread] {
		keys = append(keys, k)
	}
	l.mu.Unlock()
	sort.Strings(keys)
	return func(yield func(string, error) bool) {
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// DeleteBlobs implements eventstore.BlobStore.
func (l *Log) DeleteBlobs(_ context.Context, thread string, keys []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tb := l.blobs[thread]
	for _, k := range keys {
		delete(tb, k)
	}
	if len(tb) == 0 {
		delete(l.blobs, thread)
	}
	return nil
}
