package savertest

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// builder makes checkpoints for one thread and namespace.
type builder struct {
	t      *testing.T
	s      saver.Saver
	thread string
	ns     string
}

func on(t *testing.T, s saver.Saver, thread, ns string) *builder {
	return &builder{t: t, s: s, thread: thread, ns: ns}
}

func (b *builder) cfg(id string) saver.Config {
	return saver.Config{ThreadID: b.thread, CheckpointNS: b.ns, CheckpointID: id}
}

// newCheckpoint returns a checkpoint after parent holding values, every
// channel at version ver.
func newCheckpoint(parent string, values map[string]string, ver uint64) saver.Checkpoint {
	cp := saver.Checkpoint{
		ID:              saver.NewCheckpointID(parent),
		TS:              time.Now().UTC(),
		ChannelValues:   map[string][]byte{},
		ChannelVersions: map[string]uint64{},
		VersionsSeen:    map[string]map[string]uint64{"node": {"__start__": ver}},
	}
	for k, v := range values {
		cp.ChannelValues[k] = []byte(v)
		cp.ChannelVersions[k] = ver
	}
	return cp
}

func meta(source saver.Source, step int) saver.Metadata {
	return saver.Metadata{Source: source, Step: step}
}

// put stores a checkpoint with every value as a new version and fails the
// test on error.
func (b *builder) put(parent string, md saver.Metadata, values map[string]string) saver.Config {
	b.t.Helper()
	cp := newCheckpoint(parent, values, 1)
	got, err := b.s.Put(ctx(b.t), saver.PutOp{Config: b.cfg(parent), Checkpoint: cp, Metadata: md, NewVersions: maps.Clone(cp.ChannelVersions)})
	if err != nil {
		b.t.Fatalf("put %s after %q: %v", cp.ID, parent, err)
	}
	return got
}

func (b *builder) get(id string) *saver.Tuple {
	b.t.Helper()
	tu, err := b.s.GetTuple(ctx(b.t), b.cfg(id))
	if err != nil {
		b.t.Fatalf("get tuple %q: %v", id, err)
	}
	return tu
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, target)
	}
}

func values(tu *saver.Tuple) map[string]string {
	out := map[string]string{}
	for k, v := range tu.Checkpoint.ChannelValues {
		out[k] = string(v)
	}
	return out
}

func wantValues(t *testing.T, tu *saver.Tuple, want map[string]string) {
	t.Helper()
	if got := values(tu); !maps.Equal(got, want) {
		t.Fatalf("checkpoint %s values = %v, want %v", tu.Checkpoint.ID, short(got), short(want))
	}
}

func short(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if len(v) > 40 {
			v = fmt.Sprintf("%s...(%d bytes)", v[:20], len(v))
		}
		out[k] = v
	}
	return out
}

// normalize makes tuples comparable: times by instant, empty maps as nil,
// and the log sequence dropped (it is the backend's).
func normalize(tu *saver.Tuple) saver.Tuple {
	n := *tu
	n.Seq = 0
	n.Checkpoint.TS = n.Checkpoint.TS.UTC().Round(0)
	n.Checkpoint.ChannelValues = nilIfEmpty(n.Checkpoint.ChannelValues)
	n.Checkpoint.ChannelVersions = nilIfEmpty(n.Checkpoint.ChannelVersions)
	n.Checkpoint.VersionsSeen = nilIfEmpty(n.Checkpoint.VersionsSeen)
	n.Metadata.Parents = nilIfEmpty(n.Metadata.Parents)
	n.Metadata.Extra = nilIfEmpty(n.Metadata.Extra)
	if len(n.PendingWrites) == 0 {
		n.PendingWrites = nil
	}
	for i, w := range n.PendingWrites {
		if len(w.Value) == 0 {
			n.PendingWrites[i].Value = nil
		}
	}
	return n
}

func nilIfEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

func wantTuple(t *testing.T, got, want *saver.Tuple) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("tuple mismatch\n got: %s\nwant: %s", describe(g), describe(w))
	}
}

func describe(tu saver.Tuple) string {
	var b strings.Builder
	fmt.Fprintf(&b, "config=%+v parent=%v ts=%s versions=%v seen=%v md=%+v values=%d writes=%+v",
		tu.Config, tu.ParentConfig, tu.Checkpoint.TS.Format(time.RFC3339Nano), tu.Checkpoint.ChannelVersions,
		tu.Checkpoint.VersionsSeen, tu.Metadata, len(tu.Checkpoint.ChannelValues), tu.PendingWrites)
	for _, k := range slices.Sorted(maps.Keys(tu.Checkpoint.ChannelValues)) {
		fmt.Fprintf(&b, " %s=%q", k, tu.Checkpoint.ChannelValues[k])
	}
	return b.String()
}

// collect gathers a List, failing on error.
func collect(t *testing.T, s saver.Saver, p saver.ListParams) []*saver.Tuple {
	t.Helper()
	var out []*saver.Tuple
	for tu, err := range s.List(ctx(t), p) {
		if err != nil {
			t.Fatalf("list %+v: %v", p, err)
		}
		out = append(out, tu)
	}
	return out
}

func ids(tuples []*saver.Tuple) []string {
	var out []string
	for _, tu := range tuples {
		out = append(out, tu.Checkpoint.ID)
	}
	return out
}
