package natsembed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a set of embedded servers joined by routes on loopback ports,
// with JetStream clustered across them.
type Cluster struct {
	Servers []*Server
}

// StartCluster starts n servers (at least 3 for replicated streams) with
// their data under dir, and waits until every one of them knows the
// JetStream meta leader and the leader can place streams on all of them.
// The context bounds the wait.
func StartCluster(ctx context.Context, dir string, n int) (*Cluster, error) {
	if n < 1 {
		return nil, errors.New("natsembed: cluster of fewer than one server")
	}
	c := &Cluster{}
	var seed string
	for i := range n {
		o := Options{
			Dir:     filepath.Join(dir, fmt.Sprintf("n%d", i)),
			Name:    fmt.Sprintf("jetgraph-%d", i),
			Listen:  true,
			cluster: &clusterOptions{name: "jetgraph"},
		}
		if seed != "" {
			o.cluster.routes = []string{seed}
		}
		s, err := Start(ctx, o)
		if err != nil {
			_ = c.Shutdown(context.WithoutCancel(ctx))
			return nil, err
		}
		if seed == "" {
			seed = "nats-route://" + s.srv.ClusterAddr().String()
		}
		c.Servers = append(c.Servers, s)
	}
	if err := c.waitMetaLeader(ctx); err != nil {
		_ = c.Shutdown(context.WithoutCancel(ctx))
		return nil, err
	}
	return c, nil
}

// waitMetaLeader polls until every server reports a current JetStream meta
// group with a leader, and the leader counts every server as a peer it can
// place a stream on (online, with JetStream, its stats received): before
// that, creating a replicated stream fails with "no suitable peers". The
// server offers no notification for this, so it polls with a deadline.
func (c *Cluster) waitMetaLeader(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		placeable, current := false, true
		for _, s := range c.Servers {
			if s.srv.JetStreamIsLeader() {
				placeable = len(s.srv.JetStreamClusterPeers()) == len(c.Servers)
			}
			current = current && s.srv.JetStreamIsCurrent()
		}
		if placeable && current {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsembed: cluster has no jetstream meta leader: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// URL returns every server's client URL, comma separated, for nats.Connect.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

// JetStream connects to the cluster and returns a JetStream handle with its
// connection.
func (c *Cluster) JetStream(opts ...nats.Option) (jetstream.JetStream, *nats.Conn, error) {
	nc, err := nats.Connect(c.URL(), append([]nats.Option{nats.Name("jetgraph"), nats.MaxReconnects(-1)}, opts...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("natsembed: connect to cluster: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsembed: jetstream: %w", err)
	}
	return js, nc, nil
}

// Shutdown stops every server and waits for them.
func (c *Cluster) Shutdown(ctx context.Context) error {
	// All at once: a node that stops while the others run hands the
	// leadership of each of its streams to them, one election per stream,
	// which makes a cluster with many streams slow to stop one node at a
	// time.
	errs := make([]error, len(c.Servers))
	var wg sync.WaitGroup
	for i, s := range c.Servers {
		wg.Go(func() { errs[i] = s.Shutdown(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
