package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/projector"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

func (a *app) deleteCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "delete THREAD",
		Short: "Delete a thread: every checkpoint and write, in every namespace",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				thread := argv[0]
				if err := se.requireThread(ctx, thread); err != nil {
					return err
				}
				if err := se.s.DeleteThread(ctx, thread); err != nil {
					return err
				}
				return a.printResult(asJSON, result{Thread: thread}, fmt.Sprintf("deleted %s", thread))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) pruneCmd() *cobra.Command {
	var keepLatest, asJSON bool
	cmd := &cobra.Command{
		Use:   "prune --keep-latest [THREAD...]",
		Short: "Drop old checkpoints, keeping each thread's latest",
		Long: `prune --keep-latest drops every checkpoint but the latest of each
namespace of the named threads (every thread without names); the event log
drops the events that held them where it can.`,
		RunE: func(cmd *cobra.Command, threads []string) error {
			if !keepLatest {
				return usagef("prune: say what to keep: --keep-latest")
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				p, ok := se.s.(saver.Pruner)
				if !ok {
					return fmt.Errorf("prune: %T cannot prune", se.s)
				}
				if len(threads) == 0 {
					log, err := logOf(se.s, "prune of every thread")
					if err != nil {
						return err
					}
					infos, err := listThreads(ctx, se.s, log)
					if err != nil {
						return err
					}
					for _, t := range infos {
						threads = append(threads, t.Thread)
					}
				} else {
					for _, t := range threads {
						if err := se.requireThread(ctx, t); err != nil {
							return err
						}
					}
				}
				if err := p.Prune(ctx, threads, saver.PruneKeepLatest); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, map[string]any{"pruned": append([]string{}, threads...)})
				}
				fmt.Fprintf(a.stdout, "pruned %d threads, keeping the latest checkpoint of each\n", len(threads))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&keepLatest, "keep-latest", false, "keep each namespace's latest checkpoint")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) rebuildCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Recreate the snapshot bucket from the event stream (JetStream saver)",
		Long: `rebuild throws the JetStream saver's snapshot bucket away and folds the
whole event stream into it again. On a terminal it shows a progress line;
otherwise it is quiet (--json prints the sequence it reached).`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				js, ok := se.s.(*natsjs.Saver)
				if !ok {
					return fmt.Errorf("rebuild needs the JetStream saver (nats://... or --data DIR); %T keeps no snapshot bucket", se.s)
				}
				at, err := a.rebuild(ctx, js)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, map[string]uint64{"position": at})
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// rebuild runs projector.Rebuild over the saver's log, with a progress
// line when stdout is a terminal, and returns the sequence it reached.
func (a *app) rebuild(ctx context.Context, s *natsjs.Saver) (uint64, error) {
	l := s.EventLog()
	p, err := projector.New(ctx, l, natsjs.TenantNames(s.Tenant()).Projector) // the tenant's bucket, if any
	if err != nil {
		return 0, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = p.Stop(sctx)
	}()
	f, tty := a.stdout.(*os.File)
	tty = tty && isatty.IsTerminal(f.Fd())
	var total uint64
	if info, err := l.Stream().Info(ctx); err == nil {
		total = info.State.LastSeq
	}
	done := make(chan struct{})
	progress := make(chan struct{})
	if tty {
		go func() {
			defer close(progress)
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				fmt.Fprintf(a.stdout, "\rrebuilding the snapshot bucket: sequence %d of %d", p.Position(), total)
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
	} else {
		close(progress)
	}
	err = p.Rebuild(ctx)
	close(done)
	<-progress
	if tty {
		fmt.Fprintf(a.stdout, "\rrebuilt the snapshot bucket: sequence %d of %d\n", p.Position(), total)
	}
	return p.Position(), err
}
