package event

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/jetgraph/jetgraph/saver"
)

// Ref names one checkpoint of a thread for a reader.
type Ref struct {
	NS string
	ID string
}

// Latest returns the newest live checkpoint of a namespace.
func (t *Thread) Latest(ns string) (Ref, bool) {
	n := t.ns[ns]
	if n == nil {
		return Ref{}, false
	}
	if !n.latestOK {
		n.latest = ""
		for id, e := range n.entries {
			if !e.removed && id > n.latest {
				n.latest = id
			}
		}
		n.latestOK = true
	}
	return Ref{NS: ns, ID: n.latest}, n.latest != ""
}

// Has reports whether the thread holds the live checkpoint ref names.
func (t *Thread) Has(ref Ref) bool {
	e := t.entry(ref.NS, ref.ID)
	return e != nil && !e.removed
}

// Get returns the tuple cfg names: one checkpoint, or the latest of the
// namespace when cfg.CheckpointID is empty.
func (t *Thread) Get(cfg saver.Config) (*saver.Tuple, error) {
	ref := Ref{NS: cfg.CheckpointNS, ID: cfg.CheckpointID}
	if ref.ID == "" {
		var ok bool
		if ref, ok = t.Latest(cfg.CheckpointNS); !ok {
			return nil, &saver.NotFoundError{ThreadID: t.ID, CheckpointNS: cfg.CheckpointNS}
		}
	}
	if !t.Has(ref) {
		return nil, &saver.NotFoundError{ThreadID: t.ID, CheckpointNS: ref.NS, CheckpointID: ref.ID}
	}
	return t.Tuple(ref), nil
}

// Select returns the live checkpoints that match p, newest first, ignoring
// p.ThreadID and p.Limit (callers merge threads, then cut).
func (t *Thread) Select(p saver.ListParams) []Ref {
	var refs []Ref
	for nsName, n := range t.ns {
		if p.Namespace != nil && *p.Namespace != nsName {
			continue
		}
		for id, e := range n.entries {
			if e.removed ||
				(p.CheckpointID != "" && id != p.CheckpointID) ||
				(p.Before != "" && id >= p.Before) ||
				!saver.MatchFilter(e.metadata(), p.Filter) {
				continue
			}
			refs = append(refs, Ref{NS: nsName, ID: id})
		}
	}
	slices.SortFunc(refs, func(a, b Ref) int { return CompareRefs(b, a) })
	return refs
}

// CompareRefs orders refs by checkpoint id, then namespace.
func CompareRefs(a, b Ref) int {
	return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.NS, b.NS))
}

// Tuple returns the checkpoint ref names, which must exist. Its channel
// values share memory with t (each value is materialized once and kept) and
// must be treated as read-only.
func (t *Thread) Tuple(ref Ref) *saver.Tuple {
	e := t.entry(ref.NS, ref.ID)
	values := make(map[string][]byte, len(e.values))
	for _, cv := range e.values {
		values[cv.channel] = cv.v.bytes()
	}
	tu := &saver.Tuple{
		Config: saver.Config{ThreadID: t.ID, CheckpointNS: ref.NS, CheckpointID: ref.ID},
		Checkpoint: saver.Checkpoint{
			ID:              e.rec.ID,
			TS:              t.created(e),
			ChannelValues:   values,
			ChannelVersions: maps.Clone(map[string]uint64(e.rec.Versions)),
			VersionsSeen:    cloneSeen(e.rec.VersionsSeen),
		},
		Metadata: e.metadata(),
		Seq:      e.seq,
	}
	if tu.Checkpoint.ChannelVersions == nil {
		tu.Checkpoint.ChannelVersions = map[string]uint64{}
	}
	if e.rec.ParentID != "" {
		tu.ParentConfig = &saver.Config{ThreadID: t.ID, CheckpointNS: ref.NS, CheckpointID: e.rec.ParentID}
	}
	for _, w := range e.writes {
		tu.PendingWrites = append(tu.PendingWrites, saver.PendingWrite{TaskID: w.TaskID, Channel: w.Channel, Value: w.Value})
	}
	return tu
}

func (e *entry) metadata() saver.Metadata {
	md := e.rec.Metadata
	return saver.Metadata{
		Source:  saver.Source(md.Source),
		Step:    md.Step,
		Parents: maps.Clone(md.Parents),
		RunID:   md.RunID,
		Extra:   maps.Clone(md.Extra),
	}
}

func cloneSeen(s SeenVersions) map[string]map[string]uint64 {
	out := make(map[string]map[string]uint64, len(s))
	for k, v := range s {
		out[k] = maps.Clone(v)
	}
	return out
}

// Namespaces returns the namespaces that hold live checkpoints, sorted.
func (t *Thread) Namespaces() []string {
	var out []string
	for name := range t.ns {
		if _, ok := t.Latest(name); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
