package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
)

func (a *app) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the persistence guide's story end to end (offline model)",
		Long: `demo runs the persistence guide's story end to end on the saver: two
threads, multi-turn memory, history, replay, update and resume, a fork, and a
durable task that is not re-run. Without --saver or --data it runs on an
embedded JetStream server in a temporary directory.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, closeSaver, err := openSaver(ctx, a.saverFlags)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "jetgraph demo on the %s\n", a.describe())
			prefix := fmt.Sprintf("run-%d/", time.Now().UnixNano())
			if a.saver == "memory" {
				prefix = ""
			}
			err = demo.Run(ctx, a.stdout, s, prefix)
			if cerr := closeSaver(); err == nil {
				err = cerr
			}
			if err == nil && a.saver == "jetstream" && a.data != "" {
				fmt.Fprintf(a.stdout, "\nThe threads are kept in %s. Look at one with:\n  jetgraph history --data %s %sdemo --tree\n", a.data, a.data, prefix)
			}
			return err
		},
	}
}
