package graph

import (
	"errors"
	"maps"
	"reflect"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// Internal channels. Their names cannot clash with state channels, which may
// not start with "__" or contain ':'.
const (
	sendsChannel = "__sends__" // Send packets for the next step
	taskChannel  = "__task__"  // a durable Task's recorded result
	doneChannel  = "__done__"  // marks a task that finished without writes
)

// point is a checkpoint as the runtime handles it.
type point struct {
	thread   string // threadKey of the thread it belongs to; "" if unknown
	id       string
	seq      uint64 // the log sequence of the event that stored it; 0 if unknown
	parentID string
	md       saver.Metadata
	ts       time.Time
	values   map[string][]byte
	versions map[string]uint64
	seen     map[string]map[string]uint64
	pending  []saver.PendingWrite
	state    reflect.Value // decoded S, addressable; invalid until decoded
	// newVersions are the channels this point changed over its parent: what
	// its Put stores.
	newVersions map[string]uint64
}

func pointFromTuple(tu *saver.Tuple) *point {
	p := &point{
		thread:   threadKey(tu.Config.ThreadID, tu.Config.CheckpointNS),
		id:       tu.Checkpoint.ID,
		seq:      tu.Seq,
		md:       tu.Metadata,
		ts:       tu.Checkpoint.TS,
		values:   tu.Checkpoint.ChannelValues, // the caller's own (saver.Tuple); decodeState replaces values by equal ones
		versions: tu.Checkpoint.ChannelVersions,
		seen:     tu.Checkpoint.VersionsSeen,
		pending:  tu.PendingWrites,
	}
	if tu.ParentConfig != nil {
		p.parentID = tu.ParentConfig.CheckpointID
	}
	if p.values == nil {
		p.values = map[string][]byte{}
	}
	if p.versions == nil {
		p.versions = map[string]uint64{}
	}
	if p.seen == nil {
		p.seen = map[string]map[string]uint64{}
	}
	return p
}

// child returns a new point that starts as a copy of p, with p as parent.
func (p *point) child(src saver.Source, step int, runID string) *point {
	c := &point{
		thread:      p.thread,
		id:          saver.NewCheckpointID(p.id),
		parentID:    p.id,
		md:          saver.Metadata{Source: src, Step: step, RunID: runID}, // no parent graphs: Parents stays nil, as stored
		ts:          time.Now().UTC(),
		values:      maps.Clone(p.values),
		versions:    maps.Clone(p.versions),
		seen:        make(map[string]map[string]uint64, len(p.seen)),
		state:       p.state,
		newVersions: map[string]uint64{},
	}
	for k, v := range p.seen {
		c.seen[k] = v // copied on write (see markSeen)
	}
	return c
}

// emptyPoint is the state of a thread with no checkpoint; thread is its
// threadKey, or "".
func emptyPoint(thread string) *point {
	return &point{
		thread:   thread,
		md:       saver.Metadata{Step: -2},
		values:   map[string][]byte{},
		versions: map[string]uint64{},
		seen:     map[string]map[string]uint64{},
	}
}

// corrupt describes err, met reading the stored values of p, a checkpoint
// of thread, as a *saver.CorruptError.
func (p *point) corrupt(thread string, err error) error {
	if errors.Is(err, saver.ErrCorrupt) {
		return err
	}
	return &saver.CorruptError{ThreadID: thread, CheckpointID: p.id, Seq: p.seq, Err: err}
}

func (p *point) markSeen(node string, channels []string) {
	s := maps.Clone(p.seen[node])
	if s == nil {
		s = map[string]uint64{}
	}
	for _, ch := range channels {
		s[ch] = p.versions[ch]
	}
	p.seen[node] = s
}

// nextVersion is the version every channel written by a step gets: one more
// than the highest version of the checkpoint, so versions also order the
// steps (UpdateState uses that to infer which node ran last).
func (p *point) nextVersion() uint64 {
	var top uint64
	for _, v := range p.versions {
		top = max(top, v)
	}
	return top + 1
}

func (p *point) put(thread string) saver.Op {
	return saver.Op{Put: &saver.PutOp{
		Config:      saver.Config{ThreadID: thread, CheckpointID: p.parentID},
		Checkpoint:  p.checkpoint(),
		Metadata:    p.md,
		NewVersions: p.newVersions,
	}}
}

func (p *point) checkpoint() saver.Checkpoint {
	return saver.Checkpoint{ID: p.id, TS: p.ts, ChannelValues: p.values, ChannelVersions: p.versions, VersionsSeen: p.seen}
}

func (p *point) config(thread string) saver.Config {
	return saver.Config{ThreadID: thread, CheckpointID: p.id}
}

// write sets channel ch of p (a nil value clears it) at version v.
func (p *point) write(ch string, value []byte, clear bool, v uint64) {
	if clear {
		delete(p.values, ch)
	} else {
		p.values[ch] = value
	}
	p.versions[ch] = v
	p.newVersions[ch] = v
}

// decodeState decodes the state channels of p into an S value. List
// channels come from the thread's cache, and p's values are replaced by
// the equal bytes the cache holds, so reducers can extend them in place.
func (c *Graph[S]) decodeState(p *point) (reflect.Value, error) {
	if p.state.IsValid() {
		return p.state, nil
	}
	v := reflect.New(c.schema.typ).Elem()
	var tl *threadLists
	for _, f := range c.schema.fields {
		b, ok := p.values[f.name]
		if !ok {
			continue
		}
		var fv reflect.Value
		var err error
		if f.list {
			if tl == nil {
				tl = c.lists.thread(p.thread)
			}
			var cb []byte
			if fv, cb, err = tl.read(f, b); err == nil {
				p.values[f.name] = cb
			}
		} else {
			fv, err = f.decode(b)
		}
		if err != nil {
			return v, err
		}
		v.Field(f.index).Set(fv)
	}
	p.state = v
	return v, nil
}

// view returns a copy of state whose slices have no spare capacity, so a
// node that appends to them cannot write into storage the runtime shares.
func (c *Graph[S]) view(state reflect.Value) S {
	v := reflect.New(c.schema.typ).Elem()
	v.Set(state)
	for _, f := range c.schema.fields {
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Slice && !fv.IsNil() {
			fv.SetCap(fv.Len())
		}
	}
	s, _ := reflect.TypeAssert[S](v)
	return s
}
