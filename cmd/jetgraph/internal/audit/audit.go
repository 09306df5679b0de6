// Package audit prints a thread's event log for a person: every event with
// its sequence, size and records, then the state the fold reaches. It works
// on any saver built on an eventstore.Log.
package audit

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Threads prints every thread of the log with its event count.
func Threads(ctx context.Context, w io.Writer, log eventstore.Log) error {
	n := 0
	for thread, err := range log.Threads(ctx) {
		if err != nil {
			return err
		}
		count := 0
		for _, err := range log.Read(ctx, thread, 0) {
			if err != nil {
				return err
			}
			count++
		}
		fmt.Fprintf(w, "%-50q %d events\n", thread, count)
		n++
	}
	fmt.Fprintf(w, "%d threads\n", n)
	return nil
}

// Thread prints one thread's events, oldest first, folding them as it goes,
// and ends with the checkpoints the fold holds.
func Thread(ctx context.Context, w io.Writer, log eventstore.Log, thread string) error {
	t := event.NewThread(thread)
	events, bytes := 0, 0
	for ev, err := range log.Read(ctx, thread, 0) {
		if err != nil {
			return err
		}
		events++
		bytes += len(ev.Payload)
		fmt.Fprintf(w, "seq %-6d %6d B", ev.Seq, len(ev.Payload))
		recs, err := event.Decode(ev.Payload)
		if err == nil {
			for i, r := range recs {
				if i > 0 {
					fmt.Fprintf(w, "%17s", "")
				}
				fmt.Fprintf(w, "  %s\n", describe(r))
			}
		}
		// The one fold, which also checks that the event is this thread's.
		err = t.Fold(event.Events([]event.Event{ev}), event.FoldOptions{OnCorrupt: func(err *event.DecodeError) {
			fmt.Fprintf(w, "  CORRUPT: %v\n", err)
		}})
		if err != nil {
			return err
		}
	}
	if events == 0 {
		return &saver.NotFoundError{ThreadID: thread}
	}
	refs := t.Select(saver.ListParams{})
	fmt.Fprintf(w, "%d events, %d bytes; the fold holds %d checkpoints", events, bytes, len(refs))
	if len(refs) > 0 {
		head := t.Tuple(refs[0])
		fmt.Fprintf(w, "; the newest, %s, has channels %s", refs[0].ID, channelSizes(head.Checkpoint.ChannelValues))
	}
	fmt.Fprintln(w)
	return nil
}

func describe(r event.Record) string {
	switch r.Kind {
	case event.KindCheckpoint:
		c := r.Checkpoint
		var chans []string
		for _, d := range c.Values {
			if d.Blob != "" {
				chans = append(chans, fmt.Sprintf("%s %s out of line (blob %s)", d.Channel, d.Op, d.Blob[:12]))
				continue
			}
			chans = append(chans, fmt.Sprintf("%s %s %d B", d.Channel, d.Op, len(d.Data)))
		}
		return fmt.Sprintf("checkpoint %s%s parent %s source=%s step=%d: %s",
			c.ID, ns(c.NS), orNone(c.ParentID), c.Metadata.Source, c.Metadata.Step, orNone(strings.Join(chans, ", ")))
	case event.KindWrites:
		var ws []string
		for _, wr := range r.Writes.Writes {
			ws = append(ws, fmt.Sprintf("%s->%s %d B", wr.TaskID, wr.Channel, len(wr.Value)))
		}
		return fmt.Sprintf("writes on %s%s: %s", r.Writes.CheckpointID, ns(r.Writes.NS), strings.Join(ws, ", "))
	case event.KindSeed:
		s := fmt.Sprintf("seed of %d checkpoint(s)", len(r.Seed.Entries))
		if o := r.Seed.Origin; o != nil {
			s += fmt.Sprintf(" from thread %q", o.ThreadID)
			if o.CheckpointID != "" {
				s += fmt.Sprintf(" checkpoint %s", o.CheckpointID)
			}
			s += fmt.Sprintf(" at seq %d", o.Seq)
		}
		return s
	case event.KindTombstone:
		return fmt.Sprintf("tombstone: deleted through %s", r.Tombstone.DeletedThrough)
	case event.KindRollback:
		return fmt.Sprintf("rollback of runs %s", strings.Join(r.Rollback.RunIDs, ", "))
	case event.KindLease:
		if r.Lease.Until == 0 {
			return fmt.Sprintf("lease released by run %s", r.Lease.RunID)
		}
		return fmt.Sprintf("lease held by run %s until %s", r.Lease.RunID, time.Unix(0, r.Lease.Until).UTC().Format(time.RFC3339Nano))
	}
	return "unknown record kind " + string(r.Kind)
}

func ns(n string) string {
	if n == "" {
		return ""
	}
	return fmt.Sprintf(" ns=%q", n)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func channelSizes(values map[string][]byte) string {
	var out []string
	for _, ch := range slices.Sorted(maps.Keys(values)) {
		out = append(out, fmt.Sprintf("%s (%d B)", ch, len(values[ch])))
	}
	return orNone(strings.Join(out, ", "))
}

// Describe describes one record on one line.
func Describe(r event.Record) string { return describe(r) }
