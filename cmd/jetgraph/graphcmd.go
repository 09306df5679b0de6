package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) graphCmd() *cobra.Command {
	var mermaid bool
	cmd := &cobra.Command{
		Use:   "graph --mermaid",
		Short: "Print the chat graph (the demo's and chat's) as a Mermaid diagram",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !mermaid {
				return usagef("graph: name the format: --mermaid")
			}
			chain, err := chatGraph(nil, offline{})
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(a.stdout, chain.Mermaid())
			return err
		},
	}
	cmd.Flags().BoolVar(&mermaid, "mermaid", false, "print Mermaid")
	return cmd
}
