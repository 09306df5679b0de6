package graph

import (
	"context"
	"crypto/sha1"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

// task is one node run of a superstep.
type task struct {
	id        string
	name      string
	push      bool          // started by a Send
	input     reflect.Value // a push task's state
	triggers  []string      // a pull task's ready trigger channels
	writes    []saver.Write
	update    reflect.Value // the node's partial update, for streaming
	err       error
	recorded  bool              // finished in an earlier attempt; writes come from the saver
	results   map[string][]byte // recorded Task results, by Task id
	resume    [][]byte          // resume values for its Interrupt calls, in order
	interrupt []byte            // the value of the Interrupt call that stopped it
}

// sendPacket is a Send as stored in the sends channel.
type sendPacket struct {
	Node   string            `msgpack:"n"`
	Values map[string][]byte `msgpack:"v,omitempty"`
}

// taskID is the task's deterministic id: the name-based (version 5) UUID,
// in the OID namespace, of the checkpoint id, kind, node and index joined
// by NUL bytes. It is uuid.NewSHA1 written without its allocations.
func taskID(cp, kind, name string, idx int) string {
	var stack [160]byte
	b := append(stack[:0], uuid.NameSpaceOID[:]...)
	b = append(append(append(append(append(append(b, cp...), 0), kind...), 0), name...), 0)
	b = strconv.AppendInt(b, int64(idx), 10)
	sum := sha1.Sum(b)
	var u uuid.UUID
	copy(u[:], sum[:])
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// prepare returns the tasks that run from p: nodes whose trigger channels
// moved past the versions they saw, then one task per pending Send. Their
// order is the order their writes apply in.
func (c *Graph[S]) prepare(p *point) ([]*task, error) {
	var tasks []*task
	for _, name := range c.pullOrder {
		var ready []string
		for _, ch := range c.triggers[name] {
			if p.versions[ch] <= p.seen[name][ch] {
				continue
			}
			if ch == START && p.values[START] == nil {
				continue
			}
			if j, ok := c.joinChans[ch]; ok && !joinComplete(j, p.values[ch]) {
				continue
			}
			ready = append(ready, ch)
		}
		if len(ready) > 0 {
			tasks = append(tasks, &task{id: taskID(p.id, "pull", name, 0), name: name, triggers: ready})
		}
	}
	if b := p.values[sendsChannel]; len(b) > 0 {
		packets, err := decodeSends(b)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", p.id, err)
		}
		for i, pk := range packets {
			if c.nodes[pk.Node] == nil {
				return nil, fmt.Errorf("checkpoint %s: send to unknown node %q", p.id, pk.Node)
			}
			in, err := c.decodeValues(pk.Values)
			if err != nil {
				return nil, fmt.Errorf("checkpoint %s: send %d to %q: %w", p.id, i, pk.Node, err)
			}
			tasks = append(tasks, &task{id: taskID(p.id, "push", pk.Node, i), name: pk.Node, push: true, input: in})
		}
	}
	return tasks, nil
}

func decodeSends(b []byte) ([]sendPacket, error) {
	var out []sendPacket
	dec, r, err := newDecoder(b)
	if err != nil {
		return nil, fmt.Errorf("decode sends: %w", err)
	}
	for r.Len() > 0 {
		var pk sendPacket
		if err := dec.Decode(&pk); err != nil {
			return nil, fmt.Errorf("decode sends: %w", err)
		}
		out = append(out, pk)
	}
	return out, nil
}

func decodeStrings(b []byte) ([]string, error) {
	var out []string
	dec, r, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	for r.Len() > 0 {
		s, err := dec.DecodeString()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func encodeString(s string) []byte {
	b, _ := msgpack.Marshal(s) // a string always encodes
	return b
}

func joinComplete(j joinSpec, b []byte) bool {
	got, err := decodeStrings(b)
	if err != nil {
		return false
	}
	for _, f := range j.from {
		if !slices.Contains(got, f) {
			return false
		}
	}
	return true
}

// encodeValues encodes the fields of v to write: those that are not zero,
// and those named in zero.
func (c *Graph[S]) encodeValues(v reflect.Value, zero map[string]bool) ([]saver.Write, error) {
	var out []saver.Write
	for _, f := range c.schema.fields {
		fv := v.Field(f.index)
		if fv.IsZero() && !zero[f.name] {
			continue
		}
		b, err := f.encode(fv)
		if err != nil {
			return nil, err
		}
		out = append(out, saver.Write{Channel: f.name, Value: b})
	}
	for ch := range zero {
		if c.schema.byName[ch] == nil {
			return nil, fmt.Errorf("write zero: unknown channel %q", ch)
		}
	}
	return out, nil
}

// decodeValues builds an S from encoded channel values.
func (c *Graph[S]) decodeValues(m map[string][]byte) (reflect.Value, error) {
	v := reflect.New(c.schema.typ).Elem()
	for ch, b := range m {
		f := c.schema.byName[ch]
		if f == nil {
			return v, fmt.Errorf("unknown channel %q", ch)
		}
		fv, err := f.decode(b)
		if err != nil {
			return v, err
		}
		v.Field(f.index).Set(fv)
	}
	return v, nil
}

// updateFromWrites rebuilds a task's partial update from its writes.
func (c *Graph[S]) updateFromWrites(writes []saver.Write) (reflect.Value, error) {
	m := map[string][]byte{}
	for _, w := range writes {
		if c.schema.byName[w.Channel] != nil {
			m[w.Channel] = w.Value
		}
	}
	return c.decodeValues(m)
}

// taskWrites turns a node's update into the task's writes: its state writes,
// then the triggers of the nodes that follow it. Conditional routes see the
// state p holds with this update applied.
func (c *Graph[S]) taskWrites(ctx context.Context, p *point, node string, upd reflect.Value, zero map[string]bool) ([]saver.Write, error) {
	writes, err := c.encodeValues(c.withMessageIDs(upd), zero)
	if err != nil {
		return nil, err
	}
	for _, to := range c.edges[node] {
		if to != END {
			writes = append(writes, saver.Write{Channel: branchChannel(to)})
		}
	}
	for _, j := range c.joinsFrom[node] {
		writes = append(writes, saver.Write{Channel: j.channel, Value: encodeString(node)})
	}
	if bs := c.branches[node]; len(bs) > 0 {
		local, err := c.localState(p, writes)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			w, err := c.follow(ctx, b, local)
			if err != nil {
				return nil, err
			}
			writes = append(writes, w...)
		}
	}
	if len(writes) == 0 {
		writes = []saver.Write{{Channel: doneChannel}}
	}
	return writes, nil
}

// withMessageIDs returns upd with an id on every message of its messages
// channels that has none, the id the messages reducer would give it: so a
// task's write and the checkpoint that merges it hold the same message
// bytes, which the store keeps once (event.ChannelDelta.Refs). upd is not
// modified; a copy is returned when ids were added.
func (c *Graph[S]) withMessageIDs(upd reflect.Value) reflect.Value {
	var out reflect.Value
	for _, f := range c.schema.fields {
		if f.reducer != reducerMessages {
			continue
		}
		ms, _ := reflect.TypeAssert[[]message.Message](upd.Field(f.index))
		withIDs := message.WithIDs(ms)
		if len(ms) == 0 || &withIDs[0] == &ms[0] {
			continue
		}
		if !out.IsValid() {
			out = reflect.New(c.schema.typ).Elem()
			out.Set(upd)
		}
		out.Field(f.index).Set(reflect.ValueOf(withIDs))
	}
	if !out.IsValid() {
		return upd
	}
	return out
}

// localState is p's state with writes applied, as a route sees it.
func (c *Graph[S]) localState(p *point, writes []saver.Write) (S, error) {
	var zero S
	state, err := c.decodeState(p)
	if err != nil {
		return zero, err
	}
	local := reflect.New(c.schema.typ).Elem()
	local.Set(state)
	for _, w := range writes {
		f := c.schema.byName[w.Channel]
		if f == nil {
			continue
		}
		upd, err := f.decode(w.Value)
		if err != nil {
			return zero, err
		}
		cur, has := p.values[f.name]
		nv, _, err := f.reduce(nil, local.Field(f.index), cur, has, upd, w.Value)
		if err != nil {
			return zero, err
		}
		local.Field(f.index).Set(nv)
	}
	return c.view(local), nil
}

// follow evaluates one conditional or send edge into trigger writes.
func (c *Graph[S]) follow(ctx context.Context, b branch[S], s S) ([]saver.Write, error) {
	var out []saver.Write
	if b.route != nil {
		for _, to := range b.route(ctx, s) {
			switch {
			case to == END:
			case c.nodes[to] == nil:
				return nil, fmt.Errorf("route from %q returned unknown node %q", b.from, to)
			default:
				out = append(out, saver.Write{Channel: branchChannel(to)})
			}
		}
		return out, nil
	}
	for i, snd := range b.sends(ctx, s) {
		if c.nodes[snd.Node] == nil {
			return nil, fmt.Errorf("send %d from %q: unknown node %q", i, b.from, snd.Node)
		}
		vals, err := c.encodeValues(reflect.ValueOf(snd.Input), nil)
		if err != nil {
			return nil, fmt.Errorf("send %d from %q: %w", i, b.from, err)
		}
		pk := sendPacket{Node: snd.Node, Values: map[string][]byte{}}
		for _, w := range vals {
			pk.Values[w.Channel] = w.Value
		}
		data, err := encodeAny(reflect.ValueOf(pk))
		if err != nil {
			return nil, fmt.Errorf("send %d from %q: %w", i, b.from, err)
		}
		out = append(out, saver.Write{Channel: sendsChannel, Value: data})
	}
	return out, nil
}
