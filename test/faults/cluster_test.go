package faults_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// natsSaver connects a JetStream saver to url with the given config. The
// connection and saver are closed when the test ends.
func natsSaver(t *testing.T, url string, cfg natsjs.Config) (*natsjs.Saver, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := natsjs.New(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s, js
}

// streamLeader returns the node leading the event stream.
func streamLeader(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string, nodes []*natsproc.Node) *natsproc.Node {
	t.Helper()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	if info.Cluster == nil {
		t.Fatalf("stream %s has no cluster info", stream)
	}
	for _, nd := range nodes {
		if nd.Name == info.Cluster.Leader {
			return nd
		}
	}
	t.Fatalf("stream %s leader %q is none of the nodes", stream, info.Cluster.Leader)
	return nil
}

// waitNewLeader polls the stream's info until a node other than old leads
// it, and returns that node's name: nothing signals a new leader to a
// client.
func waitNewLeader(ctx context.Context, t *testing.T, js jetstream.JetStream, stream, old string) string {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := js.Stream(rctx, stream)
		if err == nil {
			var info *jetstream.StreamInfo
			if info, err = st.Info(rctx); err == nil && info.Cluster != nil &&
				info.Cluster.Leader != "" && info.Cluster.Leader != old {
				cancel()
				return info.Cluster.Leader
			}
		}
		cancel()
		select {
		case <-ctx.Done():
			t.Fatalf("stream %s: no new leader after %s was killed: %v", stream, old, ctx.Err())
		case <-tick.C:
		}
	}
}

// Killing JetStream cluster nodes, one at a time and the stream leader
// among them, while 50 threads write: every acknowledged write survives,
// once, on its thread's line, and writes stall only while a leader is
// elected.
func TestClusterNodeLossLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(*rounds)*3*time.Minute)
	defer cancel()
	nodes := natsproc.Start(t, 3)
	cfg := natsjs.Config{Log: eventlog.Config{Replicas: 3, Timeout: 2 * time.Second}}
	s, js := natsSaver(t, natsproc.URLs(nodes), cfg)

	w := newWorkload(s, *threads, 30*time.Second, 30*time.Second)
	w.start(ctx)
	defer w.finish(t)
	if err := w.waitAcks(ctx, *acksPer); err != nil {
		t.Fatal(err)
	}
	w.resetStall()
	failovers := 0
	var maxElection time.Duration // from killing the leader to a new one reported
	for r := range *rounds {
		leader := streamLeader(ctx, t, js, "JETGRAPH", nodes)
		follower := nodes[(r+1)%len(nodes)]
		if follower == leader {
			follower = nodes[(r+2)%len(nodes)]
		}
		for _, victim := range []*natsproc.Node{follower, leader} {
			t.Logf("round %d: killing %s (stream leader %s)", r, victim.Name, leader.Name)
			w.mu.Lock()
			stallBefore := w.maxStall
			w.mu.Unlock()
			w.resetStall()
			killed := time.Now()
			victim.Kill()
			failovers++
			if victim == leader {
				to := waitNewLeader(ctx, t, js, "JETGRAPH", victim.Name)
				election := time.Since(killed)
				maxElection = max(maxElection, election)
				t.Logf("round %d: %s leads the stream %v after the kill", r, to, election.Round(time.Millisecond))
			}
			if err := w.waitAcks(ctx, *acksPer); err != nil {
				t.Fatalf("with %s down: %v (%s)", victim.Name, err, w.errCounts())
			}
			w.mu.Lock()
			t.Logf("round %d: longest gap between acknowledged writes since %s was killed: %v", r, victim.Name, w.maxStall.Round(time.Millisecond))
			w.maxStall = max(w.maxStall, stallBefore)
			w.mu.Unlock()
			victim.Restart(ctx)
			for _, nd := range nodes {
				nd.WaitHealthy(ctx)
			}
			if err := w.waitAcks(ctx, *acksPer); err != nil {
				t.Fatalf("after %s came back: %v", victim.Name, err)
			}
		}
	}
	w.finish(t)

	fresh, _ := natsSaver(t, natsproc.URLs(nodes), cfg)
	v := w.verify(ctx, fresh, repeatedEvents(fresh.Log()))
	w.mu.Lock()
	stall, others := w.maxStall, w.others
	w.mu.Unlock()
	for _, e := range others {
		t.Logf("error of no known kind: %s", e)
	}
	line := fmt.Sprintf("cluster: acked=%d lost=%d duplicates=%d duplicate_events=%d failovers=%d max_write_stall_ms=%d", v.acked, v.lost, v.duplicates, v.dupEvents, failovers, stall.Milliseconds())
	fmt.Println(line)
	t.Log(line, "stored:", v.stored, "gaps:", v.gaps, w.errCounts())
	fmt.Printf("cluster: stored=%d gaps=%d duplicate_events=%d longest_leader_election_ms=%d %s\n",
		v.stored, v.gaps, v.dupEvents, maxElection.Milliseconds(), w.errCounts())
	v.check(t)
}
