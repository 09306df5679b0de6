package postgres_test

import (
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/ttltest"
	"github.com/jetgraph/jetgraph/saver/postgres"
)

func TestRetention(t *testing.T) {
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		schema := pgtest.Schema(t) // the store: instances share the schema
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			s, err := postgres.Connect(t.Context(), pgtest.URL(t), postgres.Config{Schema: schema, Store: eventstore.Options{Retention: r}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(t.Context()) })
			return s
		}
	})
}
