package natsjs_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/natsembed/natstest"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// stockServer starts a server with the stock 1 MB max payload.
func stockServer(t *testing.T) (*natsembed.Server, jetstream.JetStream) {
	t.Helper()
	return natstest.ServerWith(t, natsembed.Options{MaxPayload: 1 << 20})
}

// Ids too long for any saver are refused by every call, and the saver
// keeps working for every other thread: the connection is not lost.
func TestOverlongThreadIDIsInvalidAndHarmless(t *testing.T) {
	t.Parallel()
	_, js := stockServer(t)
	s := open(t, js, isolated(1))
	ctx := t.Context()
	chat(t, s, "before", 2, 10)
	for _, id := range []string{strings.Repeat(".", 1536), strings.Repeat("a", 4<<10), strings.Repeat("é", 32<<10)} {
		cfg := saver.Config{ThreadID: id}
		calls := map[string]error{}
		_, calls["GetTuple"] = s.GetTuple(ctx, cfg)
		_, calls["Put"] = s.Put(ctx, saver.PutOp{Config: cfg, Checkpoint: saver.Checkpoint{ID: saver.NewCheckpointID("")}, Metadata: saver.Metadata{}, NewVersions: nil})
		calls["PutWrites"] = s.PutWrites(ctx, saver.WritesOp{Config: saver.Config{ThreadID: id, CheckpointID: "x"}, Writes: nil, TaskID: "task"})
		calls["DeleteThread"] = s.DeleteThread(ctx, id)
		_, calls["ForkThread"] = s.ForkThread(ctx, saver.Config{ThreadID: "before"}, id)
		_, calls["ReplayTo"] = s.ReplayTo(ctx, id, 1)
		calls["Prune"] = s.Prune(ctx, []string{id}, saver.PruneKeepLatest)
		for _, err := range s.List(ctx, saver.ListParams{ThreadID: id}) {
			calls["List"] = err
			break
		}
		for _, err := range s.Events(ctx, id) {
			calls["Events"] = err
			break
		}
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for _, err := range s.Tail(tctx, id, 0) {
			calls["Tail"] = err
			break
		}
		cancel()
		_, _, calls["Snapshots.Load"] = s.Snapshots().Load(ctx, id)
		for name, err := range calls {
			if !errors.Is(err, saver.ErrInvalid) {
				t.Errorf("%s on a %d-byte id: %.200v, want saver.ErrInvalid", name, len(id), err)
			}
		}
	}
	chat(t, s, "before", 1, 10)
	chat(t, s, "after", 2, 10)
	if got := history(t, s, "after"); len(got) != 2 {
		t.Fatalf("a new thread after the refusals has %d checkpoints, want 2", len(got))
	}
}

// The longest ids (1,024 dots; 256 four-byte runes) work end to end, with
// snapshots in the KV bucket, whoever writes them.
func TestLongestThreadIDsWorkEndToEnd(t *testing.T) {
	t.Parallel()
	dots := strings.Repeat(".", saver.MaxThreadIDBytes)
	runes := strings.Repeat("😀", saver.MaxThreadIDBytes/4)
	for _, by := range []natsjs.SnapshotBy{natsjs.ByWriter, natsjs.ByProjector, natsjs.ByOther} {
		t.Run(string(by), func(t *testing.T) {
			t.Parallel()
			_, js := stockServer(t)
			cfg := isolated(1)
			cfg.Projector.MinSnapshotBytes = 1
			cfg.SnapshotBy = by
			var proj *natsjs.Saver
			if by == natsjs.ByOther { // another process projects
				pcfg := cfg
				pcfg.SnapshotBy = natsjs.ByProjector
				proj = open(t, js, pcfg)
			}
			s := open(t, js, cfg)
			ctx := t.Context()
			wrote := map[string][]saver.Config{}
			for _, id := range []string{dots, runes} {
				wrote[id] = chat(t, s, id, 4, 100)
			}
			flush := func() {
				t.Helper()
				if err := s.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				for _, p := range []*natsjs.Saver{s, proj} {
					if p != nil && p.Projector() != nil {
						if err := p.Projector().CatchUp(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			flush()
			for id, cfgs := range wrote {
				tu, err := s.GetTuple(ctx, saver.Config{ThreadID: id})
				if err != nil || tu.Config != cfgs[len(cfgs)-1] {
					t.Fatalf("latest of a %d-byte id: %v", len(id), err)
				}
				if n := len(history(t, s, id)); n != len(cfgs) {
					t.Fatalf("history of a %d-byte id: %d checkpoints, want %d", len(id), n, len(cfgs))
				}
				b, at, err := s.Snapshots().Load(ctx, id)
				if err != nil || b == nil || at == 0 {
					t.Fatalf("no snapshot of a %d-byte id in the bucket: %v", len(id), err)
				}
				tok, _ := eventlog.EncodeThread(id)
				if _, err := s.Snapshots().KeyValue().Get(ctx, "m."+tok); err != nil {
					t.Fatalf("manifest key of a %d-byte id: %v", len(id), err)
				}
				// A cold reader starts from that snapshot.
				if tu, err := reader(t, js, cfg).GetTuple(ctx, saver.Config{ThreadID: id}); err != nil || tu.Config != cfgs[len(cfgs)-1] {
					t.Fatalf("cold read of a %d-byte id: %v", len(id), err)
				}
			}
			var threads []string
			for th, err := range s.EventLog().Threads(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				threads = append(threads, th)
			}
			if !slices.Contains(threads, dots) || !slices.Contains(threads, runes) {
				t.Fatalf("Threads lists %d ids, not both long ones whole", len(threads))
			}
			all := 0
			for tu, err := range s.List(ctx, saver.ListParams{}) {
				if err != nil {
					t.Fatal(err)
				}
				if tu.Config.ThreadID == dots || tu.Config.ThreadID == runes {
					all++
				}
			}
			if all != 8 {
				t.Fatalf("List of every thread has %d checkpoints of the long ids, want 8", all)
			}
			fork := strings.Repeat("/", saver.MaxThreadIDBytes)
			forked, err := s.ForkThread(ctx, saver.Config{ThreadID: dots}, fork)
			if err != nil {
				t.Fatal(err)
			}
			if tu, err := s.GetTuple(ctx, saver.Config{ThreadID: fork}); err != nil || tu.Config != forked ||
				tu.ParentConfig == nil || tu.ParentConfig.CheckpointID != wrote[dots][3].CheckpointID {
				t.Fatalf("fork of a long id: %v", err)
			}
			if err := s.DeleteThread(ctx, dots); err != nil {
				t.Fatal(err)
			}
			flush()
			if _, err := s.GetTuple(ctx, saver.Config{ThreadID: dots}); !errors.Is(err, saver.ErrNotFound) {
				t.Fatalf("deleted long id: %v, want ErrNotFound", err)
			}
			if _, err := reader(t, js, cfg).GetTuple(ctx, saver.Config{ThreadID: dots}); !errors.Is(err, saver.ErrNotFound) {
				t.Fatalf("deleted long id, cold: %v, want ErrNotFound", err)
			}
			if n := len(history(t, s, runes)); n != 4 {
				t.Fatalf("the other long id has %d checkpoints after the delete, want 4", n)
			}
		})
	}
}
