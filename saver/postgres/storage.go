package postgres

import (
	"context"
	"fmt"
)

// StorageBytes returns the on-disk size of the saver's tables, with their
// indexes and TOAST data, as pg_total_relation_size reports it (dead rows
// not yet vacuumed included).
func (s *Saver) StorageBytes(ctx context.Context) (uint64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE 'jetgraph\_%'`, s.schema).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage bytes of schema %q: %w", s.schema, mapErr(err))
	}
	return uint64(n), nil
}
