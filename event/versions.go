package event

import (
	"slices"
	"strings"
	"unique"
)

// A thread keeps every checkpoint's channel versions and the versions each
// node has seen. As maps (a map per checkpoint and one per node it names)
// they took several times the bytes of the rest of a short checkpoint;
// an entry keeps them as sorted slices instead, with the channel and node
// names interned, and builds maps only for a reader (a tuple) or a record
// (a snapshot, a fork, a prune).

// versionList is a Versions map as a slice sorted by channel. nil is a nil
// map; empty and not nil, an empty one.
type versionList []versionPair

type versionPair struct {
	ch string
	v  uint64
}

// seenList is a SeenVersions map as a slice sorted by node.
type seenList []seenPair

type seenPair struct {
	node string
	vs   versionList
}

// intern returns s as the one string of its value the process keeps, so
// that names decoded from thousands of events take the memory of one.
func intern(s string) string { return unique.Make(s).Value() }

func compactVersions(m Versions) versionList {
	if m == nil {
		return nil
	}
	out := make(versionList, 0, len(m))
	for k, v := range m {
		out = append(out, versionPair{intern(k), v})
	}
	slices.SortFunc(out, func(a, b versionPair) int { return strings.Compare(a.ch, b.ch) })
	return out
}

func compactSeen(m SeenVersions) seenList {
	if m == nil {
		return nil
	}
	out := make(seenList, 0, len(m))
	for k, v := range m {
		out = append(out, seenPair{intern(k), compactVersions(v)})
	}
	slices.SortFunc(out, func(a, b seenPair) int { return strings.Compare(a.node, b.node) })
	return out
}

// versions returns l as a new map.
func (l versionList) versions() Versions {
	if l == nil {
		return nil
	}
	m := make(Versions, len(l))
	for _, p := range l {
		m[p.ch] = p.v
	}
	return m
}

// seen returns l as a new map.
func (l seenList) seen() SeenVersions {
	if l == nil {
		return nil
	}
	m := make(SeenVersions, len(l))
	for _, p := range l {
		m[p.node] = p.vs.versions()
	}
	return m
}

// record returns e's checkpoint record, its version maps built anew.
func (e *entry) record() CheckpointRecord {
	rec := e.rec
	rec.Versions, rec.VersionsSeen = e.vers.versions(), e.seen.seen()
	return rec
}

// tuple returns l as saver.Checkpoint.VersionsSeen has it: a new map, never
// nil.
func (l seenList) tuple() map[string]map[string]uint64 {
	m := make(map[string]map[string]uint64, len(l))
	for _, p := range l {
		m[p.node] = p.vs.versions()
	}
	return m
}
