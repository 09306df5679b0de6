package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
)

// result is what replay, fork, update and resume print with --json.
type result struct {
	Thread       string      `json:"thread"`
	CheckpointID string      `json:"checkpoint_id"`
	From         *jsonRef    `json:"from,omitempty"`
	Values       *jsonValues `json:"values,omitempty"`
	// Next is what runs next after an update.
	Next []string `json:"next,omitempty"`
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
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
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
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	seqVar(cmd, &toSeq, "to-seq", "replay from the checkpoint right after this event")
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
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				r, err := se.fork(ctx, argv[0], checkpoint, to)
				if err != nil {
					return err
				}
				return a.printResult(asJSON, r, fmt.Sprintf("forked %s into %s: checkpoint %s", argv[0], to, r.CheckpointID))
			})
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
			state, err := parseValues(values)
			if err != nil {
				return usagef("update: --values: %v", err)
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				r, err := se.update(ctx, argv[0], checkpoint, asNode, state)
				if err != nil {
					return err
				}
				return a.printResult(asJSON, r, fmt.Sprintf("updated %s: checkpoint %s, %d messages, next %v",
					argv[0], r.CheckpointID, len(r.Values.Messages), r.Next))
			})
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
			var resumeValue *any
			if value != "" {
				v, err := parseResumeValue([]byte(value))
				if err != nil {
					return usagef("resume: --value: %v", err)
				}
				resumeValue = &v
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				r, err := se.resume(ctx, argv[0], resumeValue)
				if err != nil {
					return err
				}
				last := ""
				if n := len(r.Values.Messages); n > 0 {
					last = r.Values.Messages[n-1].Content
				}
				return a.printResult(asJSON, r, fmt.Sprintf("resumed %s: head %s, last message: %s", argv[0], r.CheckpointID, last))
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&value, "value", "", "answer the pending interrupt with this JSON value")
	return cmd
}

// fork copies the thread's checkpoint (the latest if "") into thread to.
func (se *session) fork(ctx context.Context, thread, checkpoint, to string) (result, error) {
	if err := se.requireThread(ctx, thread); err != nil {
		return result{}, err
	}
	if err := saver.ValidateThread(to); err != nil {
		return result{}, usageError{fmt.Errorf("fork: new thread: %w", err)}
	}
	cfg, err := se.chain.Fork(ctx, graph.Config{ThreadID: thread, CheckpointID: checkpoint}, to)
	if err != nil {
		return result{}, err
	}
	return result{Thread: to, CheckpointID: cfg.CheckpointID, From: &jsonRef{Thread: thread, CheckpointID: checkpoint}}, nil
}

// parseValues reads update's values: the chat state in JSON.
func parseValues(text string) (demo.State, error) {
	var v jsonValues
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return demo.State{}, fmt.Errorf("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return demo.State{}, fmt.Errorf("malformed JSON: more after the values at offset %d", dec.InputOffset())
	}
	return v.state()
}

// parseResumeValue reads resume's value: any one JSON value.
func parseResumeValue(text []byte) (any, error) {
	var v any
	if err := json.Unmarshal(text, &v); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			// the only type error decoding into an any: a number
			// beyond float64's range
			return nil, fmt.Errorf("%s at offset %d is out of range of a 64-bit float", te.Value, te.Offset)
		}
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	return v, nil
}

// update applies state to the thread's checkpoint (the latest if "") as
// if node asNode had returned it.
func (se *session) update(ctx context.Context, thread, checkpoint, asNode string, state demo.State) (result, error) {
	if err := se.requireThread(ctx, thread); err != nil {
		return result{}, err
	}
	if asNode != "" && !slices.Contains(chatNodes, asNode) {
		return result{}, badInput{fmt.Errorf("update state of thread %q: as node: unknown node %q (want one of %s)",
			thread, asNode, strings.Join(chatNodes, ", "))}
	}
	cfg, err := se.chain.UpdateState(ctx, graph.Config{ThreadID: thread, CheckpointID: checkpoint}, state, asNode)
	if err != nil {
		return result{}, err
	}
	snap, err := se.snapshot(ctx, thread, cfg.CheckpointID)
	if err != nil {
		return result{}, err
	}
	out := toJSONValues(snap.Values)
	next := snap.Next
	if next == nil {
		next = []string{}
	}
	return result{Thread: thread, CheckpointID: cfg.CheckpointID, Values: &out, Next: next}, nil
}

// resume continues the thread from its latest checkpoint; with value, it
// answers the pending interrupt with it.
func (se *session) resume(ctx context.Context, thread string, value *any) (result, error) {
	if err := se.requireThread(ctx, thread); err != nil {
		return result{}, err
	}
	cfg := graph.Config{ThreadID: thread}
	var s demo.State
	var err error
	if value != nil {
		s, err = se.chain.ResumeWith(ctx, cfg, *value)
	} else {
		s, err = se.chain.Resume(ctx, cfg)
	}
	if err != nil {
		return result{}, err
	}
	head, err := se.snapshot(ctx, thread, "")
	if err != nil {
		return result{}, err
	}
	values := toJSONValues(s)
	return result{Thread: thread, CheckpointID: head.Config.CheckpointID, Values: &values}, nil
}
