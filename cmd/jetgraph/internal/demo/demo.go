// Package demo tells the persistence guide's story end to end on one saver:
// two threads, multi-turn memory, history, replay, update and resume, a
// fork, and a durable task that is not re-run. cmd/jetgraph runs it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/message/fakemodel"
	"github.com/jetgraph/jetgraph/saver"
)

// State is the chat graph's state: the conversation, merged by message id.
type State struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

// EmailState is the state of the durable-task part of the story.
type EmailState struct {
	Draft string `graph:"draft"`
	Sent  bool   `graph:"sent"`
}

type story struct {
	ctx   context.Context
	w     io.Writer
	s     saver.Saver
	chain *graph.Graph[State]
	// prefix keeps thread ids apart when the demo runs twice on a durable
	// saver.
	prefix string
}

// Run runs the story on s, printing each step to w. Thread ids start with
// prefix, so repeated runs on a durable saver do not collide.
func Run(ctx context.Context, w io.Writer, s saver.Saver, prefix string) error {
	g := graph.New[State]()
	g.AddNode("chat", func(_ context.Context, st State) (State, error) {
		return State{Messages: []message.Message{fakemodel.Reply(st.Messages)}}, nil
	})
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithName("chat"))
	if err != nil {
		return err
	}
	st := &story{ctx: ctx, w: w, s: s, chain: chain, prefix: prefix}
	for _, part := range []func() error{st.graph, st.threads, st.history, st.replay, st.update, st.fork, st.task} {
		if err := part(); err != nil {
			return err
		}
	}
	return nil
}

func (st *story) cfg(thread string) graph.Config { return graph.Config{ThreadID: st.prefix + thread} }

func (st *story) section(title string) { fmt.Fprintf(st.w, "\n== %s ==\n", title) }

func (st *story) say(thread, text string) (State, error) {
	out, err := st.chain.Invoke(st.ctx, State{Messages: []message.Message{message.Human(text)}}, st.cfg(thread))
	if err != nil {
		return out, fmt.Errorf("invoke %s: %w", thread, err)
	}
	fmt.Fprintf(st.w, "[%s] you: %-20s model: %s\n", thread, text, lastText(out))
	return out, nil
}

func lastText(s State) string {
	if len(s.Messages) == 0 {
		return ""
	}
	return s.Messages[len(s.Messages)-1].Content
}

func (st *story) graph() error {
	st.section("The graph (Mermaid)")
	fmt.Fprint(st.w, st.chain.Mermaid())
	return nil
}

func (st *story) threads() error {
	st.section("Thread ids and multi-turn memory")
	for _, turn := range [][2]string{
		{"user-123", "I'm Alice"},
		{"user-123", "What's my name?"},
		{"user-456", "What's my name?"},
		{"demo", "My color is blue."},
		{"demo", "What's my color?"},
	} {
		if _, err := st.say(turn[0], turn[1]); err != nil {
			return err
		}
	}
	fmt.Fprintln(st.w, "user-456 is another thread: it never heard of Alice.")
	return nil
}

func (st *story) history() error {
	st.section("History of thread demo (newest first)")
	for snap, err := range st.chain.GetStateHistory(st.ctx, st.cfg("demo"), nil) {
		if err != nil {
			return err
		}
		fmt.Fprintf(st.w, "checkpoint %s step %2d %-6s messages=%d next=%v\n", short(snap.Config.CheckpointID),
			snap.Metadata.Step, snap.Metadata.Source, len(snap.Values.Messages), snap.Next)
	}
	return nil
}

func short(id string) string {
	if len(id) < 8 {
		return id
	}
	return id[len(id)-8:]
}

// find returns the newest checkpoint of thread at step.
func (st *story) find(thread string, step int) (graph.Config, error) {
	for snap, err := range st.chain.GetStateHistory(st.ctx, st.cfg(thread), &graph.HistoryParams{Filter: map[string]any{"step": step}}) {
		return snap.Config, err
	}
	return graph.Config{}, fmt.Errorf("thread %s has no checkpoint at step %d", thread, step)
}

func (st *story) replay() error {
	st.section("Time travel: replay from a checkpoint")
	at, err := st.find("demo", 3)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "Resume from checkpoint %s (turn 2's question, before the answer):\n", short(at.CheckpointID))
	out, err := st.chain.Resume(st.ctx, at)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "model answers again: %s\n", lastText(out))
	head, err := st.chain.GetState(st.ctx, st.cfg("demo"))
	if err != nil {
		return err
	}
	parent, err := st.chain.GetState(st.ctx, *head.ParentConfig)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "the new branch: %s (%s) <- %s (%s) <- %s; steps before it did not run again\n",
		short(head.Config.CheckpointID), head.Metadata.Source, short(parent.Config.CheckpointID), parent.Metadata.Source, short(at.CheckpointID))
	return nil
}

func (st *story) update() error {
	st.section("Modify the state and resume")
	state, err := st.chain.GetState(st.ctx, st.cfg("demo"))
	if err != nil {
		return err
	}
	modified := state.Values
	modified.Messages = append(modified.Messages, message.Human("My color is red."))
	if _, err := st.chain.UpdateState(st.ctx, st.cfg("demo"), modified, graph.START); err != nil {
		return err
	}
	after, err := st.chain.GetState(st.ctx, st.cfg("demo"))
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "update_state appended the whole list plus one message: %d -> %d messages (merged by id, no duplicates); next: %v\n",
		len(state.Values.Messages), len(after.Values.Messages), after.Next)
	out, err := st.chain.Resume(st.ctx, st.cfg("demo"))
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "resume: model: %s\n", lastText(out))
	_, err = st.say("demo", "What's my color?")
	return err
}

func (st *story) fork() error {
	st.section("Fork a thread from a checkpoint")
	at, err := st.find("demo", 1) // after turn 1: "My color is blue."
	if err != nil {
		return err
	}
	fork := graph.Config{ThreadID: st.prefix + "demo-fork", CheckpointID: at.CheckpointID}
	fmt.Fprintf(st.w, "invoke thread demo-fork with demo's checkpoint %s:\n", short(at.CheckpointID))
	out, err := st.chain.Invoke(st.ctx, State{Messages: []message.Message{message.Human("My color is green.")}}, fork)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "[demo-fork] you: %-20s model: %s\n", "My color is green.", lastText(out))
	if _, err := st.say("demo-fork", "What's my color?"); err != nil {
		return err
	}
	orig, err := st.chain.GetState(st.ctx, st.cfg("demo"))
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "thread demo is untouched: its last answer is still %q\n", lastText(orig.Values))
	return nil
}

func (st *story) task() error {
	st.section("Durable execution: a task is not re-run")
	emails := 0
	crash := true
	g := graph.New[EmailState]()
	g.AddNode("send_email", func(ctx context.Context, s EmailState) (EmailState, error) {
		sent, err := graph.Task(ctx, "send", func(context.Context) (bool, error) {
			emails++
			fmt.Fprintf(st.w, "  sending email %q\n", s.Draft)
			return true, nil
		})
		if err != nil {
			return EmailState{}, err
		}
		if crash {
			crash = false
			return EmailState{}, errors.New("the process died after sending")
		}
		return EmailState{Sent: sent}, nil
	})
	g.AddEdge(graph.START, "send_email")
	chain, err := g.Compile(graph.WithCheckpointer(st.s), graph.WithName("email"))
	if err != nil {
		return err
	}
	cfg := st.cfg("email-1")
	_, err = chain.Invoke(st.ctx, EmailState{Draft: "Your order shipped"}, cfg)
	fmt.Fprintf(st.w, "first run fails: %v\n", firstLine(err))
	out, err := chain.Resume(st.ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(st.w, "resume: sent=%v, emails actually sent: %d (the task's recorded result was reused)\n", out.Sent, emails)
	return nil
}

func firstLine(err error) string {
	if err == nil {
		return "no error"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
