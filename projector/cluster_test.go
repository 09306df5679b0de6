package projector_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/projector"
)

// Writers on three servers of a cluster save snapshots of one thread at
// once, at 3 replicas: a replicated bucket refuses a conditional update
// while the key's previous write is still being applied, and reads may
// not come from a follower that has not applied it; every Save still
// returns without an error, and the newest snapshot saved is the one
// stored.
func TestConcurrentSavesOnAReplicatedBucket(t *testing.T) {
	t.Parallel()
	c, js := natstest.Cluster(t)
	ctx := t.Context()
	logCfg := eventlog.Config{Replicas: 3}
	l, err := eventlog.New(ctx, js, logCfg)
	if err != nil {
		t.Fatal(err)
	}
	const writers, saves = 3, 30
	reach(t, l, "t", writers*saves)
	snaps := make([]*projector.Snapshots, writers)
	for i := range snaps {
		js := c.ConnectNode(t, i)
		li, err := eventlog.New(ctx, js, logCfg)
		if err != nil {
			t.Fatal(err)
		}
		if snaps[i], err = projector.OpenSnapshots(ctx, li, projector.Config{ChunkBytes: 1024}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w, s := range snaps {
		wg.Go(func() {
			for i := range saves {
				seq := uint64(1 + i*writers + w)
				if err := s.Save(ctx, "t", seq, fmt.Append(nil, "at ", seq)); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	got, seq, err := snaps[0].Load(ctx, "t")
	if err != nil || seq != writers*saves || string(got) != fmt.Sprint("at ", seq) {
		t.Fatalf("snapshot %q at %d, %v; want the newest, at %d", got, seq, err, writers*saves)
	}
}
