package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/internal/groupcommit/grouptest"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Appends racing through one saver share transactions; each is still
// decided on its own.
func TestGroupCommitOneSaver(t *testing.T) {
	t.Parallel()
	s := setup(t)
	grouptest.RunRace(t, []eventstore.Log{s.Log()}, grouptest.Race{Threads: 4, Writers: 6, Rounds: 10})
}

// Two savers on one file, as two processes would be: their batches
// serialize on SQLite's write lock, and each append is decided on its own.
func TestGroupCommitTwoSavers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "checkpoints.db")
	a, b := open(t, path), open(t, path)
	grouptest.RunRace(t, []eventstore.Log{a.Log(), b.Log()}, grouptest.Race{Threads: 4, Writers: 3, Rounds: 10})
}

// A caller that gave up before its batch was written stores nothing and
// fails no one else.
func TestGroupCommitCancelledCaller(t *testing.T) {
	t.Parallel()
	grouptest.RunCancelled(t, setup(t).Log(), 60)
}
