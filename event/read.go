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

// Latest returns the live checkpoint of a namespace that was put last, in
// log order: never by id or clock, which differ between hosts.
func (t *Thread) Latest(ns string) (Ref, bool) {
	n := t.ns[ns]
	if n == nil {
		return Ref{}, false
	}
	if !n.latestOK {
		n.latest = nil
		for _, e := range n.entries {
			if !e.removed && (n.latest == nil || e.order > n.latest.order) {
				n.latest = e
			}
		}
		n.latestOK = true
	}
	if n.latest == nil {
		return Ref{NS: ns}, false
	}
	return Ref{NS: ns, ID: n.latest.rec.ID}, true
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

// Select returns the live checkpoints that match p, newest first in log
// order, ignoring p.ThreadID and p.Limit (callers merge threads, then
// cut). p.Before keeps the checkpoints put before it, when the thread
// holds it, else those with a smaller id.
func (t *Thread) Select(p saver.ListParams) []Ref {
	type hit struct {
		ref   Ref
		order uint64
	}
	var before *entry
	if p.Before != "" {
		for _, n := range t.ns {
			if e := n.entries[p.Before]; e != nil {
				before = e
			}
		}
	}
	var hits []hit
	for nsName, n := range t.ns {
		if p.Namespace != nil && *p.Namespace != nsName {
			continue
		}
		for id, e := range n.entries {
			if e.removed ||
				(p.CheckpointID != "" && id != p.CheckpointID) ||
				(before != nil && e.order >= before.order) ||
				(before == nil && p.Before != "" && id >= p.Before) ||
				!saver.MatchFilter(e.metadata(), p.Filter) {
				continue
			}
			hits = append(hits, hit{Ref{NS: nsName, ID: id}, e.order})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(b.order, a.order) })
	refs := make([]Ref, len(hits))
	for i, h := range hits {
		refs[i] = h.ref
	}
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
			ChannelVersions: e.vers.versions(),
			VersionsSeen:    e.seen.tuple(),
		},
		Metadata: e.metadata(),
		Seq:      e.seq,
	}
	if tu.Checkpoint.ChannelVersions == nil {
		tu.Checkpoint.ChannelVersions = map[string]uint64{}
	}
	if e.rec.ParentID != "" {
		tu.ParentConfig = &saver.Config{ThreadID: cmp.Or(e.rec.ParentThread, t.ID), CheckpointNS: ref.NS, CheckpointID: e.rec.ParentID}
	}
	for _, w := range e.writes {
		v := w.Value
		if w.Blob != "" {
			v = w.blob
		}
		tu.PendingWrites = append(tu.PendingWrites, saver.PendingWrite{TaskID: w.TaskID, Channel: w.Channel, Value: v})
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
