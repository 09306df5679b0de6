package saver

import (
	"bytes"
	"encoding/json"
)

// Value returns the metadata value stored under key, as List filters see it:
// "source", "step", "parents" and "run_id" name the fields, any other key is
// looked up in Extra.
func (m Metadata) Value(key string) (any, bool) {
	switch key {
	case "source":
		return string(m.Source), true
	case "step":
		return m.Step, true
	case "parents":
		return m.Parents, true
	case "run_id":
		return m.RunID, true
	}
	v, ok := m.Extra[key]
	return v, ok
}

// MatchFilter reports whether md has every key of filter with an equal
// value. Values compare by their JSON form, so int(1) matches int64(1) and
// map key order does not matter. An empty filter matches everything.
func MatchFilter(md Metadata, filter map[string]any) bool {
	for k, want := range filter {
		got, ok := md.Value(k)
		if !ok || !jsonEqual(got, want) {
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
