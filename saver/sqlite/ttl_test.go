package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/ttltest"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

func TestRetention(t *testing.T) {
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		path := filepath.Join(t.TempDir(), "checkpoints.db") // the store: instances share the file
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			s, err := sqlite.Open(t.Context(), path, sqlite.Config{Store: eventstore.Options{Retention: r}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(t.Context()) })
			return s
		}
	})
}
