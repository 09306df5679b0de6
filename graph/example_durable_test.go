package graph_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/open"
)

// EmailState is the state of the guide's email example.
type EmailState struct {
	Draft string `graph:"draft"`
	Sent  bool   `graph:"sent"`
}

// The guide's "Idempotency" with a task: the email is sent inside
// graph.Task, so when the node runs again after a crash, the recorded
// result is returned and the email is not sent twice.
func ExampleTask() {
	ctx := context.Background()
	emails := 0
	crash := true
	g := graph.New[EmailState]()
	g.AddNode("send_email", func(ctx context.Context, s EmailState) (EmailState, error) {
		sent, err := graph.Task(ctx, "send", func(ctx context.Context) (bool, error) {
			emails++
			fmt.Println("sending:", s.Draft)
			return true, nil
		})
		if err != nil {
			return EmailState{}, err
		}
		if crash { // the process dies after the email went out
			crash = false
			return EmailState{}, errors.New("crashed")
		}
		return EmailState{Sent: sent}, nil
	})
	g.AddEdge(graph.START, "send_email")
	chain, _ := g.Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "email-1"}

	_, err := chain.Invoke(ctx, EmailState{Draft: "Hello!"}, config)
	fmt.Println("first run:", err != nil)

	out, _ := chain.Resume(ctx, config)
	fmt.Println("sent:", out.Sent, "emails sent:", emails)
	// Output:
	// sending: Hello!
	// first run: true
	// sent: true emails sent: 1
}

// JobState is the state of the long-running workflow example.
type JobState struct {
	Log []string `graph:"log,reducer=append"`
}

// The guide's "Long-Running Workflows": if the process stops mid-run,
// Resume (invoke with no input) continues from the last checkpoint; the
// steps that finished are not run again.
func Example_longRunning() {
	ctx := context.Background()
	restarted := false
	step := func(name string) graph.NodeFunc[JobState] {
		return func(ctx context.Context, s JobState) (JobState, error) {
			if name == "process" && !restarted {
				return JobState{}, errors.New("server restarting")
			}
			fmt.Println("running", name)
			return JobState{Log: []string{name}}, nil
		}
	}
	g := graph.New[JobState]()
	for _, n := range []string{"fetch", "process", "report"} {
		g.AddNode(n, step(n))
	}
	g.AddEdge(graph.START, "fetch")
	g.AddEdge("fetch", "process")
	g.AddEdge("process", "report")
	g.AddEdge("report", graph.END)
	chain, _ := g.Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "long-job-1"}

	_, err := chain.Invoke(ctx, JobState{}, config)
	fmt.Println("error:", err != nil)

	// The server is back: invoke again with no input.
	restarted = true
	out, _ := chain.Resume(ctx, config)
	fmt.Println("log:", out.Log)
	// Output:
	// running fetch
	// error: true
	// running process
	// running report
	// log: [fetch process report]
}

// The guide's "Production Setup": the environment picks the saver. In
// production DATABASE_URL names it (postgres://..., sqlite://..., nats://...);
// in development the in-memory saver is used.
func Example_productionSetup() {
	ctx := context.Background()
	url := "memory://"
	if cmp.Or(os.Getenv("ENVIRONMENT"), "development") == "production" {
		url = os.Getenv("DATABASE_URL")
	}
	checkpointer, err := open.Open(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer checkpointer.Close(ctx)

	chain, _ := chatGraph().Compile(graph.WithCheckpointer(checkpointer))
	out, _ := chain.Invoke(ctx, human("I'm Alice"), graph.Config{ThreadID: "user-123"})
	fmt.Println(last(out))
	// Output:
	// Nice to meet you, Alice.
}

// A compiled graph draws itself as a Mermaid flowchart.
func ExampleGraph_Mermaid() {
	chain, _ := chatGraph().Compile()
	fmt.Print(chain.Mermaid())
	// Output:
	// ---
	// config:
	//   flowchart:
	//     curve: linear
	// ---
	// graph TD;
	// 	__start__([<p>__start__</p>]):::first
	// 	chat(chat)
	// 	__end__([<p>__end__</p>]):::last
	// 	__start__ --> chat;
	// 	chat --> __end__;
	// 	classDef default fill:#f2f0ff,line-height:1.2
	// 	classDef first fill-opacity:0
	// 	classDef last fill:#bfb6fc
}

// The guide's "Idempotency" with a check first: graph.Task records a
// call's outcome once fn returns, but a crash after fn's side effect and
// before that record is stored (or, in async and exit mode, before the
// background or final write) runs fn again. So fn asks the outside system
// first whether the effect already happened, under a key that names it
// (here the draft, from the state). Checking a flag in the state, as the
// guide's Python does, works the same way only for a flag an earlier step
// stored.
func ExampleTask_checkFirst() {
	outbox := map[string]bool{} // the mail service: emails sent, by key
	run, crash := context.WithCancel(context.Background())
	g := graph.New[EmailState]()
	g.AddNode("send_email", func(ctx context.Context, s EmailState) (EmailState, error) {
		sent, err := graph.Task(ctx, "send", func(ctx context.Context) (bool, error) {
			if outbox[s.Draft] {
				fmt.Println("already sent:", s.Draft)
				return true, nil
			}
			outbox[s.Draft] = true
			fmt.Println("sending:", s.Draft)
			crash() // the process dies before the task's outcome is recorded
			return false, ctx.Err()
		})
		if err != nil {
			return EmailState{}, err
		}
		return EmailState{Sent: sent}, nil
	})
	g.AddEdge(graph.START, "send_email")
	chain, _ := g.Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "email-3"}

	_, err := chain.Invoke(run, EmailState{Draft: "Order 42 shipped"}, config)
	fmt.Println("first run:", errors.Is(err, context.Canceled))

	out, _ := chain.Resume(context.Background(), config)
	fmt.Println("sent:", out.Sent, "emails in the outbox:", len(outbox))
	// Output:
	// sending: Order 42 shipped
	// first run: true
	// already sent: Order 42 shipped
	// sent: true emails in the outbox: 1
}
