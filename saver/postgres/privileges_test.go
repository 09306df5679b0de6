package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver/postgres"
)

// An application role that may read and write the tables but create
// nothing can still call Setup on every start once the schema exists.
func TestSetupNeedsNoCreatePrivilegeOnceApplied(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	admin := onSchema(t, pgtest.Pool(t), schema, postgres.Config{})
	role := "app_" + schema
	q, r := pgx.Identifier{schema}.Sanitize(), pgx.Identifier{role}.Sanitize()
	if _, err := admin.Pool().Exec(t.Context(), "CREATE ROLE "+r); err != nil {
		t.Skipf("cannot create a role on this server: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Pool().Exec(ctx, "DROP OWNED BY "+r)
		_, _ = admin.Pool().Exec(ctx, "DROP ROLE "+r)
	})
	_, err := admin.Pool().Exec(t.Context(), "GRANT USAGE ON SCHEMA "+q+" TO "+r+
		"; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "+q+" TO "+r)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET ROLE "+r)
		return err
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	app := onSchema(t, pool, schema, postgres.Config{}) // runs Setup as the role
	put(t, app, "t", "", input, "1")
}
