package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
)

func (a *app) historyCmd() *cobra.Command {
	var asJSON, tree bool
	cmd := &cobra.Command{
		Use:   "history THREAD",
		Short: "List a thread's checkpoints, newest first, or draw them as a tree",
		Long: `history lists the thread's checkpoints newest first: id, step, source
(input, loop, update, fork), the nodes that run next, the message count and
the time. --tree draws them oldest first as a tree, so that the branches that
replays, updates and forks made show at once; the newest line runs down the
left edge, older branches hang off it.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				snaps, err := se.history(ctx, argv[0])
				if err != nil {
					return err
				}
				switch {
				case asJSON:
					out := []jsonCheckpoint{}
					for _, s := range snaps {
						out = append(out, toJSONCheckpoint(s, false))
					}
					return writeJSON(a.stdout, out)
				case tree:
					drawTree(a.stdout, snaps)
				default:
					for _, s := range snaps {
						fmt.Fprintln(a.stdout, line(s))
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (newest first)")
	cmd.Flags().BoolVar(&tree, "tree", false, "draw the checkpoints as a tree of branches")
	return cmd
}

// history returns the thread's snapshots, newest first; an unknown thread
// is an error.
func (se *session) history(ctx context.Context, thread string) ([]graph.Snapshot[demo.State], error) {
	if err := se.requireThread(ctx, thread); err != nil {
		return nil, err
	}
	var out []graph.Snapshot[demo.State]
	for s, err := range se.chain.GetStateHistory(ctx, graph.Config{ThreadID: thread}, nil) {
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// drawTree prints snaps (newest first) oldest first as a tree: a node's
// newest child continues its column, older children branch off to the
// right.
func drawTree(w io.Writer, snaps []graph.Snapshot[demo.State]) {
	byID := map[string]graph.Snapshot[demo.State]{}
	children := map[string][]string{}
	var roots []string
	for _, s := range snaps {
		byID[s.Config.CheckpointID] = s
	}
	for i := len(snaps) - 1; i >= 0; i-- { // oldest first
		s := snaps[i]
		p := s.ParentConfig
		if p != nil && p.ThreadID == s.Config.ThreadID {
			if _, ok := byID[p.CheckpointID]; ok {
				children[p.CheckpointID] = append(children[p.CheckpointID], s.Config.CheckpointID)
				continue
			}
		}
		roots = append(roots, s.Config.CheckpointID)
	}
	head := ""
	if len(snaps) > 0 {
		head = snaps[0].Config.CheckpointID
	}
	label := func(s graph.Snapshot[demo.State]) string {
		l := line(s)
		if p := s.ParentConfig; p != nil && p.ThreadID != s.Config.ThreadID {
			l += fmt.Sprintf("  (forked from %s at %s)", p.ThreadID, p.CheckpointID)
		}
		if s.Metadata.Source == "fork" && (s.ParentConfig == nil || s.ParentConfig.ThreadID == s.Config.ThreadID) {
			l += "  (replay)"
		}
		if s.Config.CheckpointID == head {
			l += "  <- head"
		}
		return l
	}
	var draw func(id, prefix string)
	draw = func(id, prefix string) {
		for {
			fmt.Fprintf(w, "%s* %s\n", prefix, label(byID[id]))
			kids := children[id]
			if len(kids) == 0 {
				return
			}
			// Older branches first, each indented under a fork mark.
			for _, k := range kids[:len(kids)-1] {
				fmt.Fprintf(w, "%s|\\\n", prefix)
				draw(k, prefix+"| ")
			}
			id = kids[len(kids)-1]
		}
	}
	for _, r := range roots {
		draw(r, "")
	}
}
