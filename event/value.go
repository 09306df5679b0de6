package event

import "bytes"

// value is a channel's value as a persistent list of chunks: an append adds
// a node that points at the parent's value, so a step that appends one
// message to a long conversation costs one message, and every checkpoint
// shares its ancestors' bytes.
type value struct {
	prev *value
	data []byte
	size int // len of the whole value
}

func setValue(data []byte) *value { return &value{data: data, size: len(data)} }

func appendValue(prev *value, data []byte) *value {
	if prev == nil {
		return setValue(data)
	}
	return &value{prev: prev, data: data, size: prev.size + len(data)}
}

// bytes materializes v into a fresh slice.
func (v *value) bytes() []byte {
	out := make([]byte, v.size)
	v.fill(out)
	return out
}

func (v *value) fill(out []byte) {
	end := v.size
	for n := v; n != nil; n = n.prev {
		copy(out[end-len(n.data):end], n.data)
		end -= len(n.data)
	}
}

// isPrefixOf reports whether v's bytes are a prefix of b, without
// materializing v.
func (v *value) isPrefixOf(b []byte) bool {
	if v.size > len(b) {
		return false
	}
	end := v.size
	for n := v; n != nil; n = n.prev {
		if !bytes.Equal(b[end-len(n.data):end], n.data) {
			return false
		}
		end -= len(n.data)
	}
	return true
}

// materializer shares buffers between values of one chain: once a value is
// materialized, every ancestor on its chain is a prefix of the same buffer.
// One materializer serves one read (a List call); results must be treated
// as read-only.
type materializer struct {
	memo map[*value][]byte
}

func (m *materializer) bytes(v *value) []byte {
	if m == nil {
		return v.bytes()
	}
	if b, ok := m.memo[v]; ok {
		return b
	}
	if m.memo == nil {
		m.memo = make(map[*value][]byte)
	}
	buf := v.bytes()
	for n := v; n != nil; n = n.prev {
		if _, ok := m.memo[n]; ok {
			break
		}
		m.memo[n] = buf[:n.size:n.size]
	}
	return m.memo[v]
}

// minAppend is the smallest parent value worth storing as an append: below
// it, a plain set is as small and simpler to read.
const minAppend = 64

// delta returns how to store next given the parent's value.
func delta(channel string, parent *value, next []byte) ChannelDelta {
	if parent != nil && parent.size >= minAppend && parent.isPrefixOf(next) {
		return ChannelDelta{Channel: channel, Op: OpAppend, Data: next[parent.size:]}
	}
	return ChannelDelta{Channel: channel, Op: OpSet, Data: next}
}
