package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"

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
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.ExecContext(ctx,
		`INSERT INTO jetgraph_blobs (thread, key, data) VALUES (?, ?, ?) ON CONFLICT (thread, key) DO NOTHING`,
		thread, key, data)
	if err != nil {
		return fmt.Errorf("thread %q: put blob %s: %w", thread, key, mapErr(err))
	}
	return nil
}

// GetBlob implements eventstore.BlobStore.
func (l *Log) GetBlob(ctx context.Context, thread, key string) ([]byte, error) {
	var b []byte
	err := l.db.QueryRowContext(ctx,
		`SELECT data FROM jetgraph_blobs WHERE thread = ? AND key = ?`, thread, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
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
		keys, err := l.blobKeys(ctx, thread)
		if err != nil {
			yield("", fmt.Errorf("thread %q: list blobs: %w", thread, err))
			return
		}
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

func (l *Log) blobKeys(ctx context.Context, thread string) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT key FROM jetgraph_blobs WHERE thread = ? ORDER BY key`, thread)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, mapErr(err)
		}
		keys = append(keys, k)
	}
	return keys, mapErr(rows.Err())
}

// DeleteBlobs implements eventstore.BlobStore in one transaction.
func (l *Log) DeleteBlobs(ctx context.Context, thread string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.deleteBlobs(ctx, thread, keys)
	if err != nil {
		return fmt.Errorf("thread %q: delete blobs: %w", thread, err)
	}
	return nil
}

func (l *Log) deleteBlobs(ctx context.Context, thread string, keys []string) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, `DELETE FROM jetgraph_blobs WHERE thread = ? AND key = ?`)
	if err != nil {
		return mapErr(err)
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, thread, k); err != nil {
			return mapErr(err)
		}
	}
	return mapErr(tx.Commit())
}
