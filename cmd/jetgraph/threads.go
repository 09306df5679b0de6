package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// threadInfo is one line of "threads".
type threadInfo struct {
	Thread      string    `json:"thread"`
	UpdatedAt   time.Time `json:"updated_at"`
	Checkpoints int       `json:"checkpoints"`
	Events      int       `json:"events"`
	Bytes       int       `json:"bytes"`
}

func (a *app) threadsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "threads",
		Short: "List the threads with their last update, checkpoint count and stored size",
		Long: `threads lists every thread that holds checkpoints: when it was last
updated, how many checkpoints it holds, and the events and bytes its event log
stores.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				log, err := logOf(se.s, "threads")
				if err != nil {
					return err
				}
				infos, err := listThreads(ctx, se.s, log)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, infos)
				}
				for _, t := range infos {
					fmt.Fprintf(a.stdout, "%-40s  updated %s  %3d checkpoints  %3d events  %7d B\n",
						t.Thread, t.UpdatedAt.Format("2006-01-02 15:04:05"), t.Checkpoints, t.Events, t.Bytes)
				}
				fmt.Fprintf(a.stdout, "%d threads\n", len(infos))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func listThreads(ctx context.Context, s saver.Saver, log eventstore.Log) ([]threadInfo, error) {
	var names []string
	for thread, err := range log.Threads(ctx) {
		if err != nil {
			return nil, fmt.Errorf("list threads: %w", err)
		}
		names = append(names, thread)
	}
	slices.Sort(names)
	infos := []threadInfo{}
	for _, thread := range names {
		info := threadInfo{Thread: thread}
		for tu, err := range s.List(ctx, saver.ListParams{ThreadID: thread}) {
			if err != nil {
				return nil, fmt.Errorf("thread %q: %w", thread, err)
			}
			info.Checkpoints++
			if ts := tu.Checkpoint.TS.UTC(); ts.After(info.UpdatedAt) {
				info.UpdatedAt = ts
			}
		}
		if info.Checkpoints == 0 {
			continue // deleted
		}
		for ev, err := range log.Read(ctx, thread, 0) {
			if err != nil {
				return nil, fmt.Errorf("thread %q: %w", thread, err)
			}
			info.Events++
			info.Bytes += len(ev.Payload)
		}
		infos = append(infos, info)
	}
	return infos, nil
}
