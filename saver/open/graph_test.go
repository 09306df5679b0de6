package open_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/message/fakemodel"
)

type chatState struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

// The guide's chat graph means the same on every saver the opener gives:
// a conversation continues across invokes and across a reopened saver, and
// its history reads back newest first.
func TestMultiTurnGraphRunsOnEverySaver(t *testing.T) {
	t.Parallel()
	pg, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := pg.Query()
	q.Set("schema", pgtest.Schema(t))
	pg.RawQuery = q.Encode()
	for name, u := range map[string]string{
		"memory":   "memory://",
		"sqlite":   "sqlite://" + filepath.Join(t.TempDir(), "chat.db"),
		"postgres": pg.String(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := graph.Config{ThreadID: "user-123"}
			turn := func(chain *graph.Graph[chatState], text string) chatState {
				out, err := chain.Invoke(t.Context(), chatState{Messages: []message.Message{message.Human(text)}}, cfg)
				if err != nil {
					t.Fatalf("invoke %q: %v", text, err)
				}
				return out
			}
			chain := compileChat(t, u)
			turn(chain, "I'm Alice")
			out := turn(chain, "What's my name?")
			if len(out.Messages) != 4 {
				t.Fatalf("after two turns: %d messages, want 4", len(out.Messages))
			}
			if name == "memory" {
				return // nothing to reopen
			}
			again := compileChat(t, u) // a new process, as far as the saver knows
			snap, err := again.GetState(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Values.Messages) != 4 || snap.Values.Messages[0].Content != "I'm Alice" {
				t.Fatalf("reopened state: %+v", snap.Values.Messages)
			}
			if out := turn(again, "Still there?"); len(out.Messages) != 6 {
				t.Fatalf("third turn after reopening: %d messages, want 6", len(out.Messages))
			}
			var steps []int
			for snap, err := range again.GetStateHistory(t.Context(), cfg, nil) {
				if err != nil {
					t.Fatal(err)
				}
				steps = append(steps, snap.Metadata.Step)
			}
			if len(steps) < 6 || steps[0] < steps[len(steps)-1] {
				t.Fatalf("history steps %v: want newest first, several per turn", steps)
			}
		})
	}
}

func compileChat(t *testing.T, rawURL string) *graph.Graph[chatState] {
	t.Helper()
	g := graph.New[chatState]()
	g.AddNode("chat", func(_ context.Context, s chatState) (chatState, error) {
		return chatState{Messages: []message.Message{fakemodel.Reply(s.Messages)}}, nil
	})
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(setup(t, rawURL)))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}
