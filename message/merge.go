package message

import "github.com/google/uuid"

// Merge is the messages reducer: it returns current updated by update. A
// message of update whose id is new (or empty: it gets a fresh id) is
// appended, one whose id is in current replaces that message in place, and
// a Remove message deletes the message with its id (an unknown id is
// ignored). As in LangGraph's add_messages, a message that an update
// removes and then adds again keeps its place: it replaces the old one.
// Neither argument is modified.
func Merge(current, update []Message) []Message {
	out, _ := MergeAppend(current, update)
	return out
}

// MergeAppend is Merge that also reports whether the result is current
// followed by new messages, with every message of current unchanged: then
// merged[len(current):] is all that changed, which lets a saver store only
// those messages.
func MergeAppend(current, update []Message) (merged []Message, appendOnly bool) {
	cur := current[:len(current):len(current)]
	if added, ok := MergeAdded(current, update); ok {
		return append(cur, added...), true
	}
	return mergeEdits(cur, update), false
}

// MergeAdded is MergeAppend for callers that keep current as it is: when
// the merge only adds messages (every message of update has a new or empty
// id, repeats a message of current unchanged, or removes an unknown id), it
// returns the messages to append to current, with fresh ids assigned, and
// true. Otherwise it returns false and the caller merges with MergeAppend.
// Its cost depends on the size of update, not of current, unless update
// carries ids.
func MergeAdded(current, update []Message) (added []Message, ok bool) {
	cur := idIndex{ms: current}
	for _, m := range update {
		if m.ID == "" {
			if m.Role == RoleRemove {
				continue // a fresh id names no message
			}
			m.ID = uuid.NewString()
			added = append(added, m)
			continue
		}
		if j := lastIndex(added, m.ID); j >= 0 {
			if m.Role == RoleRemove {
				return nil, false
			}
			added[j] = m
			continue
		}
		if i := cur.last(m.ID); i >= 0 {
			if m.Role == RoleRemove || !current[i].Equal(m) {
				return nil, false
			}
			continue
		}
		if m.Role != RoleRemove {
			added = append(added, m)
		}
	}
	return added, true
}

// mergeEdits is the general merge, for updates that replace or remove
// messages of current. It follows LangGraph's add_messages: a message whose
// id is already there (in current, or added earlier in update) replaces it
// in place, even after a Remove of that id, which it cancels; a Remove
// deletes every message with its id once the whole update is applied.
func mergeEdits(current, update []Message) []Message {
	index := make(map[string]int, len(current))
	for i, m := range current {
		index[m.ID] = i
	}
	out := current
	copied := false
	var remove map[string]bool
	for _, m := range update {
		if m.ID == "" {
			if m.Role == RoleRemove {
				continue // a fresh id names no message
			}
			m.ID = uuid.NewString()
		}
		i, exists := index[m.ID]
		switch {
		case !exists:
			if m.Role == RoleRemove {
				continue // an unknown id is ignored
			}
			index[m.ID] = len(out)
			out = append(out, m)
		case m.Role == RoleRemove:
			if remove == nil {
				remove = map[string]bool{}
			}
			remove[m.ID] = true
		default:
			delete(remove, m.ID)
			if out[i].Equal(m) {
				continue
			}
			if !copied {
				out = append([]Message(nil), out...)
				copied = true
			}
			out[i] = m
		}
	}
	if len(remove) > 0 {
		kept := make([]Message, 0, len(out))
		for _, m := range out {
			if !remove[m.ID] {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return out[:len(out):len(out)]
}

// idIndex finds the last message of ms with an id. A few lookups scan ms;
// more build a map, so both a one-message update and an update that
// repeats the whole conversation cost linear time.
type idIndex struct {
	ms    []Message
	scans int
	byID  map[string]int
}

// scanLookups is how many lookups scan before idIndex builds its map.
const scanLookups = 4

func (x *idIndex) last(id string) int {
	if x.byID == nil && x.scans < scanLookups {
		x.scans++
		return lastIndex(x.ms, id)
	}
	if x.byID == nil {
		x.byID = make(map[string]int, len(x.ms))
		for i, m := range x.ms {
			x.byID[m.ID] = i
		}
	}
	if i, ok := x.byID[id]; ok {
		return i
	}
	return -1
}

func lastIndex(ms []Message, id string) int {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].ID == id {
			return i
		}
	}
	return -1
}

// WithIDs returns ms with a fresh id on every message that has none (Remove
// messages aside), the ids Merge would give them; ms itself is returned
// when every message has an id, else a copy. Giving ids before a merge lets
// a caller store an update and the merged list with the same bytes.
func WithIDs(ms []Message) []Message {
	var out []Message
	for i, m := range ms {
		if m.ID != "" || m.Role == RoleRemove {
			continue
		}
		if out == nil {
			out = append([]Message(nil), ms...)
		}
		out[i].ID = uuid.NewString()
	}
	if out == nil {
		return ms
	}
	return out
}
