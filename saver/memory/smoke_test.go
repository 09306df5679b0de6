package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s := New()
	big := make([]byte, 100)
	cfg, err := s.Put(ctx, saver.Config{ThreadID: "a"}, saver.Checkpoint{ID: saver.NewCheckpointID(""), TS: time.Now(), ChannelValues: map[string][]byte{"m": big, "x": []byte("1")}, ChannelVersions: map[string]uint64{"m": 1, "x": 1}}, saver.Metadata{Source: saver.SourceInput, Step: -1}, map[string]uint64{"m": 1, "x": 1})
	if err != nil {
		t.Fatal(err)
	}
	cp2 := saver.Checkpoint{ID: saver.NewCheckpointID(cfg.CheckpointID), TS: time.Now(), ChannelValues: map[string][]byte{"m": append(big, 'z')}, ChannelVersions: map[string]uint64{"m": 2, "x": 1}}
	cfg2, err := s.Put(ctx, cfg, cp2, saver.Metadata{Source: saver.SourceLoop}, map[string]uint64{"m": 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, cfg, saver.Checkpoint{ID: saver.NewCheckpointID("")}, saver.Metadata{Source: saver.SourceLoop}, nil)
	if !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	tu, err := s.GetTuple(ctx, saver.Config{ThreadID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if tu.Config != cfg2 || len(tu.Checkpoint.ChannelValues["m"]) != 101 || string(tu.Checkpoint.ChannelValues["x"]) != "1" {
		t.Fatalf("bad tuple %+v", tu)
	}
	t.Logf("events: %d, seq %d, sizes %d %d", len(s.Events("a")), tu.Seq, len(s.Events("a")[0].Payload), len(s.Events("a")[1].Payload))
	if err := s.DeleteThread(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, cfg2, saver.Checkpoint{ID: saver.NewCheckpointID("")}, saver.Metadata{Source: saver.SourceLoop}, nil)
	if !errors.Is(err, saver.ErrDeleted) {
		t.Fatalf("want deleted, got %v", err)
	}
}
