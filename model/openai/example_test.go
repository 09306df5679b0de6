package openai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/model/openai"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// The guide's multi-turn graph with a real model. Here the "server" is a
// local one that speaks the chat completions protocol; in a program,
// openai.FromEnv(os.Getenv) reads OPENAI_API_KEY, OPENAI_BASE_URL and
// OPENAI_MODEL.
func ExampleNode() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c","object":"chat.completion","created":1,"model":"local",
			"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello, Alice."}}]}`)
	}))
	defer srv.Close()
	env := map[string]string{"OPENAI_API_KEY": "any", "OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_MODEL": "local"}

	type State struct {
		Messages []message.Message `graph:"messages,reducer=messages"`
	}
	model, err := openai.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		panic(err)
	}
	g := graph.New[State]()
	g.AddNode("chat", openai.Node[State](model))
	g.AddEdge(graph.START, "chat")
	chain, err := g.Compile(graph.WithCheckpointer(memory.New()))
	if err != nil {
		panic(err)
	}
	out, err := chain.Invoke(context.Background(), State{Messages: []message.Message{message.Human("I'm Alice")}},
		graph.Config{ThreadID: "t1"})
	if err != nil {
		panic(err)
	}
	for _, m := range out.Messages {
		fmt.Printf("%s: %s\n", m.Role, m.Content)
	}
	// Output:
	// human: I'm Alice
	// ai: Hello, Alice.
}
