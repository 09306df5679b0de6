package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/graph"
)

// result is what replay, fork, update and resume print with --json.
type result struct {
	Thread       string      `json:"thread"`
	CheckpointID string      `json:"checkpoint_id"`
	From         *jsonRef    `json:"from,omitempty"`
	Values       *jsonValues `json:"values,omitempty"`
}

func (a *app) printResult(asJSON bool, r result, text string) error {
	if asJSON {
		return writeJSON(a.stdout, r)
	}
	fmt.Fprintln(a.stdout, text)
	return nil
}

func (a *app) replayCmd() *cobra.Command {
	var asJSON bool
	var toSeq uint64
	cmd := &cobra.Command{
		Use:   "replay THREAD --to-seq N",
		Short: "Run again the last step of the thread's event N, on a new branch",
		Long: `replay folds the thread's event log up to event N, takes the newest
checkpoint there with a node to run (the last step those events ran: the model
answering the last question), and runs the graph again from it: a fork
checkpoint starts a new branch, and that step and the ones after it run again
with the model the environment names. The steps before it do not run again.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if toSeq == 0 {
				return usagef("replay: --to-seq N is required (N >= 1)")
			}
			ctx := cmd.Context()
			se, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			thread := argv[0]
			if err := se.requireThread(ctx, thread); err != nil {
				return err
			}
			at, err := se.checkpointAtSeq(ctx, thread, toSeq, true, "replay --to-seq")
			if err != nil {
				return err
			}
			out, err := se.chain.Resume(ctx, graph.Config{ThreadID: thread, CheckpointID: at})
			if err != nil {
				return err
			}
			head, err := se.snapshot(ctx, thread, "")
			if err != nil {
				return err
			}
			v := toJSONValues(out)
			return a.printResult(asJSON, result{Thread: thread, CheckpointID: head.Config.CheckpointID,
				From: &jsonRef{Thread: thread, CheckpointID: at}, Values: &v},
				fmt.Sprintf("replayed %s from %s (event %d): head %s, last message: %s",
					thread, at, toSeq, head.Config.CheckpointID, lastText(out)))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().Uint64Var(&toSeq, "to-seq", 0, "replay from the checkpoint right after this event")
	return cmd
}

func (a *app) forkCmd() *cobra.Command {
	var asJSON bool
	var checkpoint, to string
	cmd := &cobra.Command{
		Use:   "fork THREAD --to NEW [--checkpoint ID]",
		Short: "Copy a checkpoint of a thread into a new thread",
		Long: `fork starts thread NEW from the thread's checkpoint --checkpoint ID (the
latest by default). The original thread is untouched.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if to == "" {
				return usagef("fork: --to NEW names the new thread")
			}
			ctx := cmd.Context()
			se, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			thread := argv[0]
			if err := se.requireThread(ctx, thread); err != nil {
				return err
			}
			cfg, err := se.chain.Fork(ctx, graph.Config{ThreadID: thread, CheckpointID: checkpoint}, to)
			if err != nil {
				return err
			}
			return a.printResult(asJSON, result{Thread: to, CheckpointID: cfg.CheckpointID,
				From: &jsonRef{Thread: thread, CheckpointID: checkpoint}},
				fmt.Sprintf("forked %s into %s: checkpoint %s", thread, to, cfg.CheckpointID))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "the checkpoint to fork (default: the latest)")
	cmd.Flags().StringVar(&to, "to", "", "the new thread's id")
	return cmd
}

func (a *app) updateCmd() *cobra.Command {
	var asJSON bool
	var asNode, values, checkpoint string
	cmd := &cobra.Command{
		Use:   "update THREAD --values JSON [--as-node NODE]",
		Short: "Apply values to a thread's state as if a node had returned them",
		Long: `update applies --values to the thread's state as if node --as-node had
returned them (__start__ for the input; by default the node that ran last).
Values are the chat state in JSON: messages merge by id, so a message with a
new or no id is appended and one with an existing id replaces it:

  jetgraph update t1 --as-node __start__ --values '{"messages":[{"role":"human","content":"My color is red."}]}'

Then "jetgraph resume t1" runs the nodes that follow.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			var v jsonValues
			if err := json.Unmarshal([]byte(values), &v); err != nil {
				return usagef("update: --values: malformed JSON: %v", err)
			}
			state, err := v.state()
			if err != nil {
				return usagef("update: --values: %v", err)
			}
			ctx := cmd.Context()
			se, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			thread := argv[0]
			if err := se.requireThread(ctx, thread); err != nil {
				return err
			}
			cfg, err := se.chain.UpdateState(ctx, graph.Config{ThreadID: thread, CheckpointID: checkpoint}, state, asNode)
			if err != nil {
				return err
			}
			snap, err := se.snapshot(ctx, thread, cfg.CheckpointID)
			if err != nil {
				return err
			}
			out := toJSONValues(snap.Values)
			return a.printResult(asJSON, result{Thread: thread, CheckpointID: cfg.CheckpointID, Values: &out},
				fmt.Sprintf("updated %s: checkpoint %s, %d messages, next %v", thread, cfg.CheckpointID, len(snap.Values.Messages), snap.Next))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&asNode, "as-node", "", "the node the values come from (default: inferred)")
	cmd.Flags().StringVar(&values, "values", "", `the values, as JSON: {"messages":[{"role":"human","content":"..."}]}`)
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "the checkpoint to update (default: the latest)")
	_ = cmd.MarkFlagRequired("values")
	return cmd
}

func (a *app) resumeCmd() *cobra.Command {
	var asJSON bool
	var value string
	cmd := &cobra.Command{
		Use:   "resume THREAD [--value JSON]",
		Short: "Continue a thread: run what is left, or answer its interrupt with --value",
		Long: `resume continues the thread from its latest checkpoint: the nodes that
have not run (after an update, a crash or a static interrupt) run now. With
--value JSON it answers the thread's pending interrupt with that value.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			var resumeValue any
			if value != "" {
				if err := json.Unmarshal([]byte(value), &resumeValue); err != nil {
					return usagef("resume: --value: malformed JSON: %v", err)
				}
			}
			ctx := cmd.Context()
			se, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			thread := argv[0]
			if err := se.requireThread(ctx, thread); err != nil {
				return err
			}
			cfg := graph.Config{ThreadID: thread}
			values, err := func() (jsonValues, error) {
				if value != "" {
					s, err := se.chain.ResumeWith(ctx, cfg, resumeValue)
					return toJSONValues(s), err
				}
				s, err := se.chain.Resume(ctx, cfg)
				return toJSONValues(s), err
			}()
			if err != nil {
				return err
			}
			head, err := se.snapshot(ctx, thread, "")
			if err != nil {
				return err
			}
			last := ""
			if n := len(values.Messages); n > 0 {
				last = values.Messages[n-1].Content
			}
			return a.printResult(asJSON, result{Thread: thread, CheckpointID: head.Config.CheckpointID, Values: &values},
				fmt.Sprintf("resumed %s: head %s, last message: %s", thread, head.Config.CheckpointID, last))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&value, "value", "", "answer the pending interrupt with this JSON value")
	return cmd
}
