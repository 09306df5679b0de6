package savertest

import (
	"reflect"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

func w(ch, v string) saver.Write { return saver.Write{Channel: ch, Value: []byte(v)} }

func pendingWrites(tu *saver.Tuple) [][3]string {
	var out [][3]string
	for _, pw := range tu.PendingWrites {
		out = append(out, [3]string{pw.TaskID, pw.Channel, string(pw.Value)})
	}
	return out
}

func wantWrites(t *testing.T, tu *saver.Tuple, want [][3]string) {
	t.Helper()
	if got := pendingWrites(tu); !reflect.DeepEqual(got, want) {
		t.Fatalf("pending writes of %s = %q, want %q", tu.Checkpoint.ID, got, want)
	}
}

var writesCases = []testCase{
	{"ReadBackOrderedByTaskThenIndex", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cfg := b.put("", meta(saver.SourceInput, -1), map[string]string{"a": "1"})
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "b0"), w("y", "b1")}, TaskID: "task-b"}))
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "a0"), w("y", "a1"), w("z", "a2")}, TaskID: "task-a"}))
		wantWrites(t, b.get(cfg.CheckpointID), [][3]string{
			{"task-a", "x", "a0"}, {"task-a", "y", "a1"}, {"task-a", "z", "a2"},
			{"task-b", "x", "b0"}, {"task-b", "y", "b1"},
		})
	}},
	{"RequiresThreadID", func(t *testing.T, s saver.Saver, ns string) {
		err := s.PutWrites(ctx(t), saver.WritesOp{Config: saver.Config{CheckpointNS: ns, CheckpointID: saver.NewCheckpointID("")}, Writes: []saver.Write{w("x", "1")}, TaskID: "task"})
		wantErr(t, err, saver.ErrInvalid, "put writes without thread id")
	}},
	{"RequiresCheckpointID", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		b.put("", meta(saver.SourceInput, -1), nil)
		err := s.PutWrites(ctx(t), saver.WritesOp{Config: b.cfg(""), Writes: []saver.Write{w("x", "1")}, TaskID: "task"})
		wantErr(t, err, saver.ErrInvalid, "put writes without checkpoint id")
	}},
	{"RequiresTaskID", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cfg := b.put("", meta(saver.SourceInput, -1), nil)
		err := s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "1")}, TaskID: ""})
		wantErr(t, err, saver.ErrInvalid, "put writes without task id")
	}},
	{"UnknownCheckpointIsNotFound", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		b.put("", meta(saver.SourceInput, -1), nil)
		err := s.PutWrites(ctx(t), saver.WritesOp{Config: b.cfg(saver.NewCheckpointID("")), Writes: []saver.Write{w("x", "1")}, TaskID: "task"})
		wantErr(t, err, saver.ErrNotFound, "put writes to an unknown checkpoint")
	}},
	{"AreIdempotentPerTaskAndIndex", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cfg := b.put("", meta(saver.SourceInput, -1), nil)
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "first")}, TaskID: "task"}))
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "second")}, TaskID: "task"}))
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w("x", "first"), w("y", "new")}, TaskID: "task"}))
		wantWrites(t, b.get(cfg.CheckpointID), [][3]string{{"task", "x", "first"}, {"task", "y", "new"}})
	}},
	{"SpecialChannelsAreLastWriteWins", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cfg := b.put("", meta(saver.SourceInput, -1), nil)
		for _, ch := range []string{saver.ChannelError, saver.ChannelInterrupt, saver.ChannelResume, saver.ChannelScheduled} {
			must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w(ch, "old")}, TaskID: "task-" + ch}))
			must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{w(ch, "new")}, TaskID: "task-" + ch}))
		}
		got := b.get(cfg.CheckpointID)
		if len(got.PendingWrites) != 4 {
			t.Fatalf("%d writes, want one per special channel: %q", len(got.PendingWrites), pendingWrites(got))
		}
		for _, pw := range got.PendingWrites {
			if string(pw.Value) != "new" {
				t.Fatalf("special channel %s kept %q, want the last write", pw.Channel, pw.Value)
			}
		}
	}},
	{"NewChildStartsWithoutWrites", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		parent := b.put("", meta(saver.SourceInput, -1), nil)
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: parent, Writes: []saver.Write{w("x", "1")}, TaskID: "task"}))
		child := b.put(parent.CheckpointID, meta(saver.SourceLoop, 0), nil)
		wantWrites(t, b.get(child.CheckpointID), nil)
		wantWrites(t, b.get(parent.CheckpointID), [][3]string{{"task", "x", "1"}})
	}},
	{"EmptyValueRoundTrips", func(t *testing.T, s saver.Saver, ns string) {
		b := on(t, s, "thread-1", ns)
		cfg := b.put("", meta(saver.SourceInput, -1), nil)
		must(t, s.PutWrites(ctx(t), saver.WritesOp{Config: cfg, Writes: []saver.Write{{Channel: "x"}}, TaskID: "task"}))
		wantWrites(t, b.get(cfg.CheckpointID), [][3]string{{"task", "x", ""}})
	}},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
