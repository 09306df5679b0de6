package graph

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/jetgraph/jetgraph/saver"
)

// apply makes the checkpoint that follows p once tasks have run: it records
// what each node saw, consumes the channels that triggered them, and applies
// their writes in task order through the reducers. Every channel that
// changes gets the same new version.
func (c *Graph[S]) apply(p *point, tasks []*task, next *point) error {
	state, err := c.decodeState(p)
	if err != nil {
		return err
	}
	ns := reflect.New(c.schema.typ).Elem()
	ns.Set(state)
	next.state = ns
	tl := c.lists.thread(p.thread)
	v := p.nextVersion()
	for _, t := range tasks {
		if t.push {
			continue
		}
		next.markSeen(t.name, c.triggers[t.name])
		for _, ch := range t.triggers {
			if ch == START || c.joinChans[ch].channel != "" {
				next.write(ch, nil, true, v) // consumed
			}
		}
	}
	if _, ok := p.values[sendsChannel]; ok {
		next.write(sendsChannel, nil, true, v)
	}
	type upd struct {
		node string
		b    []byte
	}
	updates := map[string][]upd{}
	var sends []byte
	joins := map[string][]string{}
	for _, t := range tasks {
		for _, w := range t.writes {
			switch {
			case c.schema.byName[w.Channel] != nil:
				updates[w.Channel] = append(updates[w.Channel], upd{t.name, w.Value})
			case w.Channel == sendsChannel:
				sends = append(sends, w.Value...)
			case c.joinChans[w.Channel].channel != "":
				src, err := decodeStrings(w.Value)
				if err != nil {
					return fmt.Errorf("task %s: join write: %w", t.id, err)
				}
				joins[w.Channel] = append(joins[w.Channel], src...)
			case isTrigger(w.Channel):
				next.write(w.Channel, nil, true, v)
			}
		}
	}
	for _, f := range c.schema.fields {
		us := updates[f.name]
		if len(us) == 0 {
			continue
		}
		if f.reducer == reducerLast && len(us) > 1 {
			return fmt.Errorf("channel %q: nodes %q and %q wrote it in the same step; give it a reducer", f.name, us[0].node, us[1].node)
		}
		cur, has := next.values[f.name]
		fv := ns.Field(f.index)
		for _, u := range us {
			val, err := f.decode(u.b)
			if err != nil {
				return err
			}
			nv, nb, err := f.reduce(tl, fv, cur, has, val, u.b)
			if err != nil {
				return err
			}
			fv.Set(nv)
			cur, has = nb, true
		}
		next.write(f.name, cur, false, v)
	}
	if len(sends) > 0 {
		next.write(sendsChannel, sends, false, v)
	}
	for _, ch := range slices.Sorted(maps.Keys(joins)) {
		have, err := decodeStrings(next.values[ch])
		if err != nil {
			return err
		}
		for _, s := range joins[ch] {
			if !slices.Contains(have, s) {
				have = append(have, s)
			}
		}
		slices.Sort(have)
		var b []byte
		for _, s := range have {
			b = append(b, encodeString(s)...)
		}
		next.write(ch, b, false, v)
	}
	return nil
}

func isTrigger(ch string) bool {
	return len(ch) > len("branch:to:") && ch[:len("branch:to:")] == "branch:to:"
}

// writesOf returns a recorded task's writes, and whether it finished: a
// task finished if it has a write other than an error, an interrupt, a
// resume value or a Task result.
func writesOf(pending []saver.PendingWrite, id string) ([]saver.Write, bool) {
	var out []saver.Write
	for _, w := range pending {
		if w.TaskID != id || w.Channel == saver.ChannelError || w.Channel == saver.ChannelInterrupt || w.Channel == saver.ChannelResume {
			continue
		}
		out = append(out, saver.Write{Channel: w.Channel, Value: w.Value})
	}
	return out, len(out) > 0
}
