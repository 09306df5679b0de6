package natsjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/ttltest"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

func TestRetention(t *testing.T) {
	srv, _ := natstest.Server(t)
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		cfg := isolated(1) // the store: instances share the stream and buckets
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			cfg := cfg
			cfg.Retention = r
			// Each instance on its own connection, as separate processes.
			s, err := natsjs.New(t.Context(), natstest.Connect(t, srv), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s.Close(ctx)
			})
			return s
		}
	})
}

// TestRetentionReplicated runs the retention tests on a 3-node cluster with
// streams and buckets at 3 replicas (where a refused conditional append
// has its own error code and reads go to the stream leader), with a
// projector keeping the snapshots.
func TestRetentionReplicated(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	_, js := natstest.Cluster(t)
	ttltest.Run(t, func(t *testing.T) ttltest.Opener {
		cfg := projected(3)
		return func(t *testing.T, r eventstore.Retention) ttltest.Instance {
			cfg := cfg
			cfg.Retention = r
			return open(t, js, cfg)
		}
	})
}
