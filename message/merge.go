package message

import "github.com/google/uuid"

// Merge is the messages reducer: it returns current updated by update. A
// message of update whose id is new (or empty: it gets a fresh id) is
// appended, one whose id is in current replaces that message in place, and
// a Remove message deletes the message with its id (an unknown id is
// ignored). Neither argument is modified.
func Merge(current, update []Message) []Message {
	out, _ := MergeAppend(current, update)
	return out
}

// MergeAppend is Merge that also reports whether the result is current
// followed by new messages, with every message of current unchanged: then
// merged[len(current):] is all that changed, which lets a saver store only
// those messages.
func MergeAppend(current, update []Message) (merged []Message, appendOnly bool) {
	index := make(map[string]int, len(current))
	for i, m := range current {
		index[m.ID] = i
	}
	out := current[:len(current):len(current)]
	appendOnly = true
	copied := false
	removed := false
	for _, m := range update {
		if m.ID == "" {
			m.ID = uuid.NewString()
		}
		i, exists := index[m.ID]
		switch {
		case m.Role == RoleRemove:
			if exists && i >= 0 {
				appendOnly, removed = false, true
				index[m.ID] = -1
			}
		case exists && i >= 0:
			if out[i].Equal(m) {
				continue
			}
			if !copied {
				out = append([]Message(nil), out...)
				copied = true
			}
			out[i] = m
			if i < len(current) {
				appendOnly = false
			}
		default:
			index[m.ID] = len(out)
			out = append(out, m)
		}
	}
	if removed {
		kept := make([]Message, 0, len(out))
		for j, m := range out {
			if index[m.ID] == j {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return out[:len(out):len(out)], appendOnly
}
