package main

import (
	"context"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/demo"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/message/fakemodel"
	"github.com/jetgraph/jetgraph/model/openai"
	"github.com/jetgraph/jetgraph/saver"
)

// offline answers from the conversation alone (message/fakemodel).
type offline struct{}

func (offline) Reply(_ context.Context, msgs []message.Message) (message.Message, error) {
	return fakemodel.Reply(msgs), nil
}

// model is the real model when OPENAI_API_KEY is set, the offline one
// otherwise.
func (a *app) model() openai.Replier {
	if m, err := openai.FromEnv(a.env); err == nil {
		return m
	}
	return offline{}
}

// modelName names the model for a person.
func modelName(r openai.Replier) string {
	if m, ok := r.(*openai.Model); ok {
		return m.Name() + " (OpenAI-compatible)"
	}
	return "the offline model (message/fakemodel)"
}

// chatNodes are the nodes an update may name as its source: the input
// and chatGraph's nodes.
var chatNodes = []string{graph.START, "chat"}

// chatGraph is the demo's and chat's graph: one node that answers the
// conversation. Its state type decodes every thread the commands show.
func chatGraph(s saver.Saver, m openai.Replier) (*graph.Graph[demo.State], error) {
	g := graph.New[demo.State]()
	g.AddNode("chat", openai.Node[demo.State](m))
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	return g.Compile(graph.WithCheckpointer(s), graph.WithName("chat"))
}
