package graph_test

import (
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/message/fakemodel"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// eventsOf returns a thread's stored events, oldest first.
func eventsOf(s *memory.Saver, thread string) []event.Event {
	var out []event.Event
	for ev, err := range s.Events(context.Background(), thread) {
		if err != nil {
			panic(err)
		}
		out = append(out, ev)
	}
	return out
}

// ChatState is the state of the guide's chat graph.
type ChatState struct {
	Messages []message.Message `graph:"messages,reducer=messages"`
}

func chat(_ context.Context, s ChatState) (ChatState, error) {
	return ChatState{Messages: []message.Message{fakemodel.Reply(s.Messages)}}, nil
}

// newChat compiles the guide's one-node chat graph over a fresh memory saver.
func newChat(t testing.TB) (*graph.Graph[ChatState], *memory.Saver) {
	t.Helper()
	g := graph.New[ChatState]()
	g.AddNode("chat", chat)
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	s := memory.New()
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	return chain, s
}

func human(text string) ChatState {
	return ChatState{Messages: []message.Message{message.Human(text)}}
}

func last(s ChatState) string {
	if len(s.Messages) == 0 {
		return ""
	}
	return s.Messages[len(s.Messages)-1].Content
}

func newSaver() *memory.Saver { return memory.New() }
