package sqlite

import (
	"context"
	"fmt"
)

// StorageBytes returns the size of the database file after moving the WAL
// into it: everything the saver stores, free pages included.
func (s *Saver) StorageBytes(ctx context.Context) (uint64, error) {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return 0, fmt.Errorf("storage bytes: %w", mapErr(err))
	}
	var pages, size uint64
	err := l.db.QueryRowContext(ctx, `SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &size)
	if err != nil {
		return 0, fmt.Errorf("storage bytes: %w", mapErr(err))
	}
	return pages * size, nil
}
