package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
)

// TestTaskOutcomesAreReusedWhenTheNodeRunsAgain: on resume, a recorded result
// and a recorded error are both returned without calling the function.
func TestTaskOutcomesAreReusedWhenTheNodeRunsAgain(t *testing.T) {
	t.Parallel()
	calls, attempts := 0, 0
	g := graph.New[EmailState]()
	g.AddNode("n", func(ctx context.Context, s EmailState) (EmailState, error) {
		attempts++
		first, err := graph.Task(ctx, "a", func(context.Context) (string, error) { calls++; return "A", nil })
		if err != nil {
			return EmailState{}, err
		}
		_, err = graph.Task(ctx, "b", func(context.Context) (string, error) {
			calls++
			return "", errors.New("b failed")
		})
		if attempts == 1 {
			return EmailState{}, errors.New("crash")
		}
		return EmailState{Draft: first + "/" + err.Error()}, nil
	})
	g.AddEdge(graph.START, "n")
	chain, _ := g.Compile(graph.WithCheckpointer(newSaver()))
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, EmailState{}, cfg); err == nil || !strings.Contains(err.Error(), "crash") {
		t.Fatalf("err = %v", err)
	}
	out, err := chain.Resume(ctx, cfg)
	if err != nil || out.Draft != "A/b failed" || calls != 2 || attempts != 2 {
		t.Fatalf("out %+v err %v calls %d attempts %d", out, err, calls, attempts)
	}
}

func TestModifyingAndResumingStoresOneMessage(t *testing.T) {
	t.Parallel()
	chain, s := newChat(t)
	ctx := context.Background()
	cfg := graph.Config{ThreadID: "t"}
	for range 50 {
		if _, err := chain.Invoke(ctx, human(strings.Repeat("y", 200)), cfg); err != nil {
			t.Fatal(err)
		}
	}
	state, _ := chain.GetState(ctx, cfg)
	modified := state.Values
	modified.Messages = append(modified.Messages, message.Human("Try again."))
	before := len(eventsOf(s, "t"))
	if _, err := chain.UpdateState(ctx, cfg, modified, ""); err != nil {
		t.Fatal(err)
	}
	after, _ := chain.GetState(ctx, cfg)
	events := eventsOf(s, "t")[before:]
	if len(after.Values.Messages) != len(state.Values.Messages)+1 || len(events) != 1 || len(events[0].Payload) > 1000 {
		t.Fatalf("messages %d -> %d, update stored %d events, first %d bytes",
			len(state.Values.Messages), len(after.Values.Messages), len(events), len(events[0].Payload))
	}
}
