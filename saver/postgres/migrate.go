package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations are applied in the order of their numeric prefix. Each runs
// inside Setup's transaction, so none may use a statement that cannot
// (CREATE INDEX CONCURRENTLY, VACUUM, ...). {{schema}} stands for the quoted
// schema name.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names { // Glob sorts; the prefixes are zero-padded
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: no numeric prefix", base)
		}
		b, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms, nil
}

// Setup creates the schema and applies the migrations it lacks, all in one
// transaction under an advisory lock on the schema name, so processes that
// run it at the same time apply each migration exactly once. It is safe to
// call on every start.
func (s *Saver) Setup(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("setup schema %q: %w", s.schema, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("setup schema %q: %w", s.schema, mapErr(err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := migrate(ctx, tx, s.schema, ms); err != nil {
		return fmt.Errorf("setup schema %q: %w", s.schema, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("setup schema %q: commit: %w", s.schema, mapErr(err))
	}
	return nil
}

func migrate(ctx context.Context, tx pgx.Tx, schema string, ms []migration) error {
	q := pgx.Identifier{schema}.Sanitize()
	h := fnv.New64a()
	h.Write([]byte("jetgraph migrations " + schema))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock: %w", mapErr(err))
	}
	// Create only what is missing: CREATE ... IF NOT EXISTS checks the
	// privilege to create before it checks existence, and an application
	// role often may not create anything once the schema is set up.
	var hasSchema, hasTable bool
	err := tx.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
		to_regclass($2) IS NOT NULL`, schema, q+".jetgraph_migrations").Scan(&hasSchema, &hasTable)
	if err != nil {
		return fmt.Errorf("look up schema: %w", mapErr(err))
	}
	if !hasSchema {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+q); err != nil {
			return fmt.Errorf("create schema: %w", mapErr(err))
		}
	}
	if !hasTable {
		_, err := tx.Exec(ctx, `CREATE TABLE `+q+`.jetgraph_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		if err != nil {
			return fmt.Errorf("create migrations table: %w", mapErr(err))
		}
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+q+`.jetgraph_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read applied migrations: %w", mapErr(err))
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, strings.ReplaceAll(m.sql, "{{schema}}", q)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, mapErr(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+q+`.jetgraph_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, mapErr(err))
		}
	}
	return nil
}
