package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/logtest"
	"github.com/jetgraph/jetgraph/saver/postgres"
	"github.com/jetgraph/jetgraph/saver/savertest"
)

// setup returns a saver on a fresh schema of the shared test server.
func setup(t *testing.T) *postgres.Saver {
	t.Helper()
	return onSchema(t, pgtest.Pool(t), pgtest.Schema(t), postgres.Config{})
}

func onSchema(t *testing.T, pool *pgxpool.Pool, schema string, cfg postgres.Config) *postgres.Saver {
	t.Helper()
	cfg.Schema = schema
	s, err := postgres.New(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// ownPool opens a pool of its own: a second process, as far as the server
// can tell.
func ownPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func checkpoint(parent, value string) saver.Checkpoint {
	return saver.Checkpoint{
		ID:              saver.NewCheckpointID(parent),
		TS:              time.Now().UTC(),
		ChannelValues:   map[string][]byte{"v": []byte(value)},
		ChannelVersions: map[string]uint64{"v": 1},
	}
}

func put(t *testing.T, s saver.Saver, thread, parent string, md saver.Metadata, value string) saver.Config {
	t.Helper()
	cfg, err := s.Put(t.Context(), saver.PutOp{Config: saver.Config{ThreadID: thread, CheckpointID: parent}, Checkpoint: checkpoint(parent, value), Metadata: md, NewVersions: map[string]uint64{"v": 1}})
	if err != nil {
		t.Fatalf("put on %q after %q: %v", thread, parent, err)
	}
	return cfg
}

func loop(step int) saver.Metadata { return saver.Metadata{Source: saver.SourceLoop, Step: step} }

var input = saver.Metadata{Source: saver.SourceInput, Step: -1}

// Two savers on their own pools race to extend one thread, round after
// round: each round exactly one wins, the other gets ErrConflict, and
// nothing of the loser is stored.
func TestTwoProcessesRacingOnAThreadOneConflicts(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	a := onSchema(t, ownPool(t), schema, postgres.Config{})
	b := onSchema(t, ownPool(t), schema, postgres.Config{})
	head := put(t, a, "race", "", input, "start")
	const rounds = 10
	for round := range rounds {
		var losers []saver.Checkpoint
		var winners int
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		from := head
		for _, s := range []*postgres.Saver{a, b} {
			if _, err := s.GetTuple(t.Context(), from); err != nil { // both see the same head
				t.Fatal(err)
			}
			cp := checkpoint(from.CheckpointID, "x")
			wg.Go(func() {
				<-start
				cfg, err := s.Put(context.Background(), saver.PutOp{Config: from, Checkpoint: cp, Metadata: loop(round), NewVersions: map[string]uint64{"v": 1}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners++
					head = cfg
				case errors.Is(err, saver.ErrConflict):
					losers = append(losers, cp)
				default:
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if winners != 1 || len(losers) != 1 {
			t.Fatalf("round %d: %d winners, %d losers; want 1 and 1", round, winners, len(losers))
		}
		_, err := a.GetTuple(t.Context(), saver.Config{ThreadID: "race", CheckpointID: losers[0].ID})
		if !errors.Is(err, saver.ErrNotFound) {
			t.Fatalf("round %d: the loser's checkpoint reads back: %v", round, err)
		}
	}
	var events int
	err := a.Pool().QueryRow(t.Context(), `SELECT count(*) FROM `+quote(schema)+`.jetgraph_events`).Scan(&events)
	if err != nil || events != rounds+1 {
		t.Fatalf("stored events: %d, %v; want %d", events, err, rounds+1)
	}
}

func quote(schema string) string { return `"` + strings.ReplaceAll(schema, `"`, `""`) + `"` }

func TestSetupFromTwoProcessesAppliesMigrationsOnce(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	var wg sync.WaitGroup
	for range 2 {
		s, err := postgres.New(ownPool(t), postgres.Config{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := s.Setup(context.Background()); err != nil {
				t.Errorf("concurrent setup: %v", err)
			}
		})
	}
	wg.Wait()
	s := onSchema(t, pgtest.Pool(t), schema, postgres.Config{}) // and once more, later
	var applied, distinct int
	err := s.Pool().QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM `+quote(schema)+`.jetgraph_migrations`).Scan(&applied, &distinct)
	if err != nil || applied == 0 || applied != distinct {
		t.Fatalf("migrations recorded: %d (%d distinct), %v", applied, distinct, err)
	}
}

func TestReadsBackFromSnapshotInANewProcess(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	w := onSchema(t, pgtest.Pool(t), schema, postgres.Config{Store: eventstore.Options{MinSnapshotBytes: 1}})
	parent := ""
	for i := range 50 {
		md := loop(i)
		if i == 0 {
			md = input
		}
		parent = put(t, w, "long", parent, md, strings.Repeat("v", i)).CheckpointID
	}
	var snapshots int
	if err := w.Pool().QueryRow(t.Context(), `SELECT count(*) FROM `+quote(schema)+`.jetgraph_snapshots`).Scan(&snapshots); err != nil || snapshots != 1 {
		t.Fatalf("snapshot rows: %d, %v; want 1", snapshots, err)
	}
	r := onSchema(t, ownPool(t), schema, postgres.Config{})
	tu, err := r.GetTuple(t.Context(), saver.Config{ThreadID: "long"})
	if err != nil {
		t.Fatal(err)
	}
	if tu.Config.CheckpointID != parent || len(tu.Checkpoint.ChannelValues["v"]) != 49 {
		t.Fatalf("new process reads %+v, want %s", tu.Config, parent)
	}
}

func TestNewRejectsOverlongSchema(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(nil, postgres.Config{Schema: strings.Repeat("s", 64)})
	if !errors.Is(err, saver.ErrInvalid) || !strings.Contains(err.Error(), "Schema") {
		t.Fatalf("got %v, want ErrInvalid naming Schema", err)
	}
}

func TestFromConnStringUsesPublicSchema(t *testing.T) {
	// Not parallel with itself only: it owns the public schema's tables.
	t.Parallel()
	s, err := postgres.FromConnString(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	thread := "from-conn-string-" + saver.NewCheckpointID("")
	cfg := put(t, s, thread, "", input, "1")
	if err := s.DeleteThread(t.Context(), cfg.ThreadID); err != nil {
		t.Fatal(err)
	}
	if s.Schema() != "public" {
		t.Fatalf("schema %q, want public", s.Schema())
	}
}

func TestStorageBytesGrowsWithWrites(t *testing.T) {
	t.Parallel()
	s := setup(t)
	before, err := s.StorageBytes(t.Context())
	if err != nil || before == 0 {
		t.Fatalf("empty tables: %d, %v", before, err)
	}
	parent := ""
	for i := range 20 {
		parent = put(t, s, "t", parent, loop(i), strings.Repeat(string(rune('a'+i)), 4096)).CheckpointID
	}
	after, err := s.StorageBytes(t.Context())
	if err != nil || after <= before {
		t.Fatalf("storage %d -> %d (%v), want growth", before, after, err)
	}
}

func TestLogConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) eventstore.Log { return setup(t).Store.Log() })
}

func TestLargeValues(t *testing.T) {
	t.Parallel()
	savertest.RunLargeValues(t, func(t *testing.T) saver.Saver { return setup(t) })
}
