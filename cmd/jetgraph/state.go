package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

func (a *app) stateCmd() *cobra.Command {
	var asJSON bool
	var checkpoint string
	var seq uint64
	cmd := &cobra.Command{
		Use:   "state THREAD",
		Short: "Show a thread's state: the latest, at a checkpoint, or as of an event sequence",
		Long: `state shows the thread's state (its messages) and what runs next: the
latest, at --checkpoint ID, or as of --seq N, the state right after the
thread's event N (which needs a saver with an event log).`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if checkpoint != "" && seq != 0 {
				return usagef("pass --checkpoint or --seq, not both")
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				thread := argv[0]
				if seq != 0 {
					if err := se.requireThread(ctx, thread); err != nil {
						return err
					}
					at, err := se.checkpointAtSeq(ctx, thread, seq, false, "state --seq")
					if err != nil {
						return err
					}
					checkpoint = at
				}
				snap, err := se.state(ctx, thread, checkpoint)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, toJSONCheckpoint(snap, true))
				}
				fmt.Fprintf(a.stdout, "thread %s checkpoint %s\n", thread, line(snap))
				if p := snap.ParentConfig; p != nil {
					fmt.Fprintf(a.stdout, "parent %s %s\n", p.ThreadID, p.CheckpointID)
				}
				for _, m := range snap.Values.Messages {
					fmt.Fprintf(a.stdout, "  %s\n", describeMessage(m))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "the checkpoint id (default: the latest)")
	seqVar(cmd, &seq, "seq", "the state right after the thread's event at this sequence")
	return cmd
}

// state returns the state of a thread that must exist at checkpoint (the
// latest if ""): what "state" shows and the ui's API answers.
func (se *session) state(ctx context.Context, thread, checkpoint string) (graph.Snapshot[demo.State], error) {
	if err := se.requireThread(ctx, thread); err != nil {
		return graph.Snapshot[demo.State]{}, err
	}
	return se.snapshot(ctx, thread, checkpoint)
}

// snapshot returns the thread's state at checkpoint (the latest if "").
func (se *session) snapshot(ctx context.Context, thread, checkpoint string) (graph.Snapshot[demo.State], error) {
	snap, err := se.chain.GetState(ctx, graph.Config{ThreadID: thread, CheckpointID: checkpoint})
	if err != nil {
		return snap, err
	}
	if snap.Config.CheckpointID == "" {
		return snap, noThreadError{thread}
	}
	return snap, nil
}

// checkpointAtSeq returns the id of the newest checkpoint of the thread
// right after its event at seq, folding the saver's event log; with
// runnable, the newest one with a node to run (the last step the events
// up to seq ran).
func (se *session) checkpointAtSeq(ctx context.Context, thread string, seq uint64, runnable bool, what string) (string, error) {
	r, ok := se.s.(interface {
		ReplayTo(ctx context.Context, thread string, seq uint64) (*event.Thread, error)
	})
	if !ok {
		return "", fmt.Errorf("%s needs a saver with an event log; %T keeps none", what, se.s)
	}
	if l, err := logOf(se.s, what); err == nil {
		last, err := l.LastSeq(ctx, thread)
		if err != nil {
			return "", err
		}
		if seq > last {
			return "", fmt.Errorf("thread %q holds events up to sequence %d, not %d", thread, last, seq)
		}
	}
	t, err := r.ReplayTo(ctx, thread, seq)
	if err != nil {
		return "", err
	}
	refs := t.Select(saver.ListParams{Namespace: saver.NS("")})
	if len(refs) == 0 {
		return "", fmt.Errorf("thread %q holds no checkpoint at sequence %d: %w", thread, seq, saver.ErrNotFound)
	}
	if !runnable {
		return refs[0].ID, nil
	}
	for _, ref := range refs {
		snap, err := se.snapshot(ctx, thread, ref.ID)
		if err != nil {
			return "", err
		}
		if len(snap.Next) > 0 {
			return ref.ID, nil
		}
	}
	return "", fmt.Errorf("thread %q has no step to run again at sequence %d: %w", thread, seq, saver.ErrNotFound)
}

func describeMessage(m message.Message) string {
	s := fmt.Sprintf("%-5s %s", m.Role+":", m.Content)
	for _, c := range m.ToolCalls {
		s += fmt.Sprintf(" [calls %s(%s) as %s]", c.Name, c.Args, c.ID)
	}
	if m.ToolCallID != "" {
		s += fmt.Sprintf(" [answers %s]", m.ToolCallID)
	}
	return s
}

// channelDiff is what changed in one channel between two checkpoints.
type channelDiff struct {
	Channel string `json:"channel"`
	// Change is "added", "removed", "changed" or "unchanged".
	Change    string        `json:"change"`
	BytesA    int           `json:"bytes_a"`
	BytesB    int           `json:"bytes_b"`
	Added     []jsonMessage `json:"added_messages,omitempty"`
	Removed   []jsonMessage `json:"removed_messages,omitempty"`
	Changed   []jsonMessage `json:"changed_messages,omitempty"`
	Unchanged int           `json:"unchanged_messages,omitempty"`
}

type diffResult struct {
	Thread   string        `json:"thread"`
	A        string        `json:"a"`
	B        string        `json:"b"`
	Channels []channelDiff `json:"channels"`
}

func (a *app) diffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff THREAD A B",
		Short: "Show what changed between two checkpoints, channel by channel",
		Long: `diff compares checkpoints A and B of the thread channel by channel: for
the messages channel, the messages B adds, removes or changes (by message id);
for other channels, whether the stored value changed.`,
		Args: args(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				d, err := se.diff(ctx, argv[0], argv[1], argv[2])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, d)
				}
				fmt.Fprintf(a.stdout, "thread %s: %s -> %s\n", d.Thread, d.A, d.B)
				for _, c := range d.Channels {
					fmt.Fprintf(a.stdout, "%s: %s (%d B -> %d B)\n", c.Channel, c.Change, c.BytesA, c.BytesB)
					for _, m := range c.Removed {
						fmt.Fprintf(a.stdout, "  - %s %s: %s\n", m.ID, m.Role, m.Content)
					}
					for _, m := range c.Changed {
						fmt.Fprintf(a.stdout, "  ~ %s %s: %s\n", m.ID, m.Role, m.Content)
					}
					for _, m := range c.Added {
						fmt.Fprintf(a.stdout, "  + %s %s: %s\n", m.ID, m.Role, m.Content)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (se *session) diff(ctx context.Context, thread, idA, idB string) (diffResult, error) {
	d := diffResult{Thread: thread, A: idA, B: idB, Channels: []channelDiff{}}
	if err := se.requireThread(ctx, thread); err != nil {
		return d, err
	}
	var tuples [2]*saver.Tuple
	var snaps [2]graph.Snapshot[demo.State]
	for i, id := range []string{idA, idB} {
		tu, err := se.s.GetTuple(ctx, saver.Config{ThreadID: thread, CheckpointID: id})
		if err != nil {
			return d, fmt.Errorf("checkpoint %s of thread %q: %w", id, thread, err)
		}
		if snaps[i], err = se.snapshot(ctx, thread, id); err != nil {
			return d, err
		}
		tuples[i] = tu
	}
	va, vb := tuples[0].Checkpoint.ChannelValues, tuples[1].Checkpoint.ChannelValues
	names := slices.Sorted(maps.Keys(va))
	for ch := range vb {
		if _, ok := va[ch]; !ok {
			names = append(names, ch)
		}
	}
	slices.Sort(names)
	for _, ch := range names {
		a, inA := va[ch]
		b, inB := vb[ch]
		c := channelDiff{Channel: ch, BytesA: len(a), BytesB: len(b)}
		switch {
		case !inA:
			c.Change = "added"
		case !inB:
			c.Change = "removed"
		case bytes.Equal(a, b):
			c.Change = "unchanged"
		default:
			c.Change = "changed"
		}
		if ch == "messages" {
			diffMessages(&c, snaps[0].Values.Messages, snaps[1].Values.Messages)
			if len(c.Added)+len(c.Removed)+len(c.Changed) == 0 && inA && inB {
				c.Change = "unchanged"
			}
		}
		d.Channels = append(d.Channels, c)
	}
	return d, nil
}

func diffMessages(c *channelDiff, a, b []message.Message) {
	inA := map[string]message.Message{}
	for _, m := range a {
		inA[m.ID] = m
	}
	inB := map[string]bool{}
	for _, m := range b {
		inB[m.ID] = true
		old, ok := inA[m.ID]
		switch {
		case !ok:
			c.Added = append(c.Added, toJSONMessage(m))
		case !old.Equal(m):
			c.Changed = append(c.Changed, toJSONMessage(m))
		default:
			c.Unchanged++
		}
	}
	for _, m := range a {
		if !inB[m.ID] {
			c.Removed = append(c.Removed, toJSONMessage(m))
		}
	}
}
