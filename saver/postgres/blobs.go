package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

var _ eventstore.BlobStore = (*Log)(nil)

// PutBlob implements eventstore.BlobStore with one insert that does nothing
// when the key exists.
func (l *Log) PutBlob(ctx context.Context, thread, key string, data []byte) error {
	if data == nil {
		data = []byte{} // the column is NOT NULL; nil binds as NULL
	}
	if _, err := l.pool.Exec(ctx, l.q.putBlob, []byte(thread), key, data); err != nil {
		return fmt.Errorf("thread %q: put blob %s: %w", thread, key, mapErr(err))
	}
	return nil
}

// GetBlob implements eventstore.BlobStore.
func (l *Log) GetBlob(ctx context.Context, thread, key string) ([]byte, error) {
	var b []byte
	err := l.pool.QueryRow(ctx, l.q.getBlob, []byte(thread), key).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("thread %q: blob %s: %w", thread, key, saver.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("thread %q: get blob %s: %w", thread, key, mapErr(err))
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// Blobs implements eventstore.BlobStore. The keys are read before the first
// is yielded, so the caller may use the log while it iterates.
func (l *Log) Blobs(ctx context.Context, thread string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		rows, err := l.pool.Query(ctx, l.q.blobs, []byte(thread))
		var keys []string
		if err == nil {
			keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			yield("", fmt.Errorf("thread %q: list blobs: %w", thread, mapErr(err)))
			return
		}
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// DeleteBlobs implements eventstore.BlobStore in one statement.
func (l *Log) DeleteBlobs(ctx context.Context, thread string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := l.pool.Exec(ctx, l.q.deleteBlobs, []byte(thread), keys); err != nil {
		return fmt.Errorf("thread %q: delete blobs: %w", thread, mapErr(err))
	}
	return nil
}
