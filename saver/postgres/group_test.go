package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/internal/groupcommit/grouptest"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/postgres"
)

// Appends racing through one saver share transactions; each is still
// decided on its own.
func TestGroupCommitOneSaver(t *testing.T) {
	t.Parallel()
	grouptest.RunRace(t, []eventstore.Log{setup(t).Log()}, grouptest.Race{Threads: 4, Writers: 6, Rounds: 10})
}

// Two savers on pools of their own, as two processes would be, race on the
// same threads under READ COMMITTED (the server's default): a batch that
// meets a head row the other's open batch changed waits for it and
// re-checks its condition against the committed row, so exactly one of two
// racing appends wins.
func TestGroupCommitTwoSavers(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	a := onSchema(t, ownPool(t), schema, postgres.Config{})
	b := onSchema(t, ownPool(t), schema, postgres.Config{})
	grouptest.RunRace(t, []eventstore.Log{a.Log(), b.Log()}, grouptest.Race{Threads: 4, Writers: 3, Rounds: 10})
}

// The same race with both pools' transactions SERIALIZABLE: a batch that
// fails to serialize is rolled back whole and its appends are retried one
// by one, and an append that fails to serialize on its own is refused
// (the log may not have moved: a spurious conflict, which the store
// retries). Still exactly one append wins at each sequence.
func TestGroupCommitTwoSaversSerializable(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	a := onSchema(t, serializablePool(t), schema, postgres.Config{})
	b := onSchema(t, serializablePool(t), schema, postgres.Config{})
	grouptest.RunRace(t, []eventstore.Log{a.Log(), b.Log()},
		grouptest.Race{Threads: 4, Writers: 3, Rounds: 10, SpuriousConflicts: true})
}

// A caller that gave up before its batch was written stores nothing and
// fails no one else.
func TestGroupCommitCancelledCaller(t *testing.T) {
	t.Parallel()
	grouptest.RunCancelled(t, setup(t).Log(), 60)
}

func serializablePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "serializable"
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var level string
	if err := pool.QueryRow(t.Context(), `SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
		t.Fatalf("isolation %q (%v), want serializable", level, err)
	}
	return pool
}
