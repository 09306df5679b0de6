package natsembed_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

func TestMain(m *testing.M) { os.Exit(natstest.Main(m)) }

func TestServerStoresStreamInDir(t *testing.T) {
	t.Parallel()
	srv, js := natstest.Server(t)
	if srv.ClientURL() != "" {
		t.Fatalf("in-process server listens on %s", srv.ClientURL())
	}
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 2<<20)
	ack, err := js.Publish(ctx, "s.x", big)
	if err != nil {
		t.Fatalf("publish %d bytes: %v", len(big), err)
	}
	if ack.Sequence != 1 {
		t.Fatalf("sequence %d, want 1", ack.Sequence)
	}
	if got := js.Conn().MaxPayload(); got != natsembed.DefaultMaxPayload {
		t.Fatalf("max payload %d, want %d", got, natsembed.DefaultMaxPayload)
	}
}

func TestStartRequiresDir(t *testing.T) {
	t.Parallel()
	if _, err := natsembed.Start(t.Context(), natsembed.Options{}); err == nil {
		t.Fatal("started without a data directory")
	}
}

func TestListeningServerHasLoopbackURL(t *testing.T) {
	t.Parallel()
	srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	if url := srv.ClientURL(); url == "" || !strings.Contains(url, "127.0.0.1") {
		t.Fatalf("client url %q, want a loopback url", url)
	}
	js := natstest.Connect(t, srv)
	if _, err := js.AccountInfo(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestClusterReplicatesStream(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, err := natsembed.StartCluster(ctx, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	js, nc, err := c.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R", Subjects: []string{"r.>"}, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "r.a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("cluster info %+v, want a leader and 2 replicas", info.Cluster)
	}
}
