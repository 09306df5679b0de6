package runner_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// A runner hosts the chat graph; a client compiled with the runner's
// Dispatcher hands its Invoke to it and gets the state back.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "runner-example-")
	defer os.RemoveAll(dir)
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)
	js, nc, err := srv.JetStream()
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		panic(err)
	}
	defer s.Close(ctx)

	// The runner side (normally another process: cmd/node-runner).
	hosted, _ := examples.Chat(graph.WithCheckpointer(s))
	r, err := runner.New(ctx, runner.Config{JetStream: js, Saver: s, Graphs: []runner.Graph{hosted}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	if err := r.Start(ctx); err != nil {
		panic(err)
	}
	defer r.Stop(ctx)

	// The client side.
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 0)
	if err != nil {
		panic(err)
	}
	chat, _ := examples.Chat(graph.WithCheckpointer(s), graph.WithDispatcher(d))
	out, err := chat.Invoke(ctx, examples.ChatState{Messages: []message.Message{message.Human("Hi! I'm Bob")}}, graph.Config{ThreadID: "bob"})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Messages[len(out.Messages)-1].Content)
	// Output: Nice to meet you, Bob.
}
