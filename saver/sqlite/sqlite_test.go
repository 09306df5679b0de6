package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/logtest"
	"github.com/jetgraph/jetgraph/saver/savertest"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// setup returns a saver on a fresh database file in t's temp dir.
func setup(t *testing.T) *sqlite.Saver {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "checkpoints.db"))
}

func open(t testing.TB, path string) *sqlite.Saver {
	t.Helper()
	s, err := sqlite.FromConnString(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func put(t *testing.T, s saver.Saver, thread, parent string, md saver.Metadata, value string) saver.Config {
	t.Helper()
	cfg, err := s.Put(t.Context(), saver.PutOp{Config: saver.Config{ThreadID: thread, CheckpointID: parent}, Checkpoint: checkpoint(parent, value), Metadata: md, NewVersions: map[string]uint64{"v": 1}})
	if err != nil {
		t.Fatalf("put on %q after %q: %v", thread, parent, err)
	}
	return cfg
}

func checkpoint(parent, value string) saver.Checkpoint {
	return saver.Checkpoint{
		ID:              saver.NewCheckpointID(parent),
		TS:              time.Now().UTC(),
		ChannelValues:   map[string][]byte{"v": []byte(value)},
		ChannelVersions: map[string]uint64{"v": 1},
	}
}

func loop(step int) saver.Metadata { return saver.Metadata{Source: saver.SourceLoop, Step: step} }

// Two handles on one file stand in for two processes: each has its own
// connections and cache, so only the database arbitrates.
func TestTwoHandlesRacingOnAThreadOneConflicts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := open(t, path), open(t, path)
	first := put(t, a, "race", "", saver.Metadata{Source: saver.SourceInput, Step: -1}, "0")
	if _, err := b.GetTuple(t.Context(), first); err != nil { // warm b's cache
		t.Fatal(err)
	}
	won := put(t, a, "race", first.CheckpointID, loop(0), "a")
	_, err := b.Put(t.Context(), saver.PutOp{Config: first, Checkpoint: checkpoint(first.CheckpointID, "b"), Metadata: loop(0), NewVersions: map[string]uint64{"v": 1}})
	if !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("second writer: got %v, want conflict", err)
	}
	tu, err := b.GetTuple(t.Context(), saver.Config{ThreadID: "race"})
	if err != nil {
		t.Fatal(err)
	}
	if tu.Config != won || string(tu.Checkpoint.ChannelValues["v"]) != "a" {
		t.Fatalf("latest is %+v, want the winner %+v", tu.Config, won)
	}
}

func TestConcurrentWritersAreNeverLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "busy.db")
	handles := []*sqlite.Saver{open(t, path), open(t, path)}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			s := handles[g%2]
			thread := []string{"shared", "own-" + string(rune('a'+g))}[g%2]
			parent := ""
			for i := range 20 {
				md := loop(i)
				if parent == "" {
					md = saver.Metadata{Source: saver.SourceUpdate}
				}
				cfg, err := s.Put(context.Background(), saver.PutOp{Config: saver.Config{ThreadID: thread, CheckpointID: parent}, Checkpoint: checkpoint(parent, "x"), Metadata: md, NewVersions: map[string]uint64{"v": 1}})
				if errors.Is(err, saver.ErrConflict) {
					continue // another goroutine extended the same line first
				}
				if err != nil {
					errs <- err
					return
				}
				parent = cfg.CheckpointID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent put: %v", err)
	}
}

func TestReopenedDatabaseReadsBackFromSnapshot(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "snap.db")
	s, err := sqlite.FromConnString(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	small := sqlite.New(db, sqlite.Config{Store: eventstore.Options{MinSnapshotBytes: 1}})
	parent := ""
	for i := range 50 {
		parent = put(t, small, "long", parent, loop(i), string(rune('a'+i%26))).CheckpointID
	}
	var snapshots int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM jetgraph_snapshots`).Scan(&snapshots); err != nil || snapshots != 1 {
		t.Fatalf("snapshot rows: %d, %v; want 1", snapshots, err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	tu, err := open(t, path).GetTuple(t.Context(), saver.Config{ThreadID: "long"})
	if err != nil {
		t.Fatal(err)
	}
	if tu.Config.CheckpointID != parent || tu.Metadata.Step != 49 {
		t.Fatalf("reopened latest: %+v step %d, want %s step 49", tu.Config, tu.Metadata.Step, parent)
	}
}

func TestFromConnStringAcceptsURIsAndMemory(t *testing.T) {
	t.Parallel()
	for _, path := range []string{
		"file:" + filepath.Join(t.TempDir(), "uri.db") + "?cache=private",
		":memory:",
	} {
		s := open(t, path)
		cfg := put(t, s, "t", "", saver.Metadata{Source: saver.SourceInput, Step: -1}, "1")
		if _, err := s.GetTuple(t.Context(), cfg); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestFromConnStringRejectsEmptyPath(t *testing.T) {
	t.Parallel()
	if _, err := sqlite.FromConnString(t.Context(), ""); !errors.Is(err, saver.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
}

func TestStorageBytesGrowsWithWrites(t *testing.T) {
	t.Parallel()
	s := setup(t)
	before, err := s.StorageBytes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	parent := ""
	for i := range 20 {
		parent = put(t, s, "t", parent, loop(i), strings.Repeat(string(rune('a'+i)), 4096)).CheckpointID
	}
	after, err := s.StorageBytes(t.Context())
	if err != nil || after < before+20*4096 {
		t.Fatalf("storage %d -> %d (%v), want at least 80 KiB more", before, after, err)
	}
}

func TestLogConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) eventstore.Log { return setup(t).Store.Log() })
}

func TestLargeValues(t *testing.T) {
	t.Parallel()
	savertest.RunLargeValues(t, func(t *testing.T) saver.Saver { return setup(t) })
}
