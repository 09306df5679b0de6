package natsjs_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/savertest"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

var instances atomic.Int64

// isolated returns a config whose stream, subjects, bucket and consumer no
// other saver on the server uses.
func isolated(replicas int) natsjs.Config {
	n := instances.Add(1)
	return natsjs.Config{
		Log:        eventlog.Config{Stream: fmt.Sprintf("T%d", n), Prefix: fmt.Sprintf("t%d", n), Replicas: replicas},
		Projector:  projector.Config{Bucket: fmt.Sprintf("snap%d", n), Durable: fmt.Sprintf("proj%d", n)},
		BlobBucket: fmt.Sprintf("blob%d", n),
	}
}

// projected is isolated with a projector running in the saver.
func projected(replicas int) natsjs.Config {
	cfg := isolated(replicas)
	cfg.SnapshotBy = natsjs.ByProjector
	return cfg
}

// open returns a saver on js with cfg, closed when the test ends.
func open(t *testing.T, js jetstream.JetStream, cfg natsjs.Config) *natsjs.Saver {
	t.Helper()
	s, err := natsjs.New(t.Context(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// setup returns a saver on its own server.
func setup(t *testing.T) (*natsjs.Saver, jetstream.JetStream, natsjs.Config) {
	t.Helper()
	_, js := natstest.Server(t)
	cfg := isolated(1)
	return open(t, js, cfg), js, cfg
}

// setupProjected returns a saver running a projector, on its own server.
func setupProjected(t *testing.T) (*natsjs.Saver, jetstream.JetStream, natsjs.Config) {
	t.Helper()
	_, js := natstest.Server(t)
	cfg := projected(1)
	return open(t, js, cfg), js, cfg
}

func TestConformance(t *testing.T) {
	t.Parallel()
	_, js := natstest.Server(t)
	savertest.Run(t, func(t *testing.T) saver.Saver { return open(t, js, isolated(1)) })
}

func TestConformanceReplicated(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	_, js := natstest.Cluster(t)
	savertest.Run(t, func(t *testing.T) saver.Saver { return open(t, js, projected(3)) })
}
