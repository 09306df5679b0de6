// Package restart_test checks that a workflow stopped part way survives a
// restart of the server holding its checkpoints (NATS JetStream, in
// process and as a separate nats-server process, PostgreSQL) or of the
// process holding a SQLite file, and that Resume on the same saver (or, for
// SQLite, a fresh one on the same file) finishes it. Real servers only.
package restart_test

import (
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	natsproc.RemoveBinaries()
	os.Exit(code)
}
