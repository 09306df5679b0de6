package graph_test

import (
	"context"
	"fmt"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// Human in the loop: the node asks for approval with graph.Interrupt, the
// run stops, a person reads the question from GetState, and ResumeWith
// passes the answer back; the node runs again and Interrupt returns it.
func ExampleInterrupt() {
	ctx := context.Background()
	g := graph.New[EmailState]()
	g.AddNode("draft", func(context.Context, EmailState) (EmailState, error) {
		return EmailState{Draft: "Your order shipped"}, nil
	})
	g.AddNode("send", func(ctx context.Context, s EmailState) (EmailState, error) {
		answer, err := graph.Interrupt[string](ctx, "Send this email? "+s.Draft)
		if err != nil {
			return EmailState{}, err // graph.ErrInterrupted: the run stops here
		}
		return EmailState{Sent: answer == "approved"}, nil
	})
	g.AddEdge(graph.START, "draft")
	g.AddEdge("draft", "send")
	chain, err := g.Compile(graph.WithCheckpointer(memory.New()))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := graph.Config{ThreadID: "email-1"}

	var outcome graph.Outcome
	out, err := chain.Invoke(ctx, EmailState{}, cfg, graph.WithOutcome(&outcome))
	fmt.Println("interrupted:", outcome.Interrupted, "sent:", out.Sent, "err:", err)

	snap, _ := chain.GetState(ctx, cfg)
	fmt.Println("next:", snap.Next)
	fmt.Println("question:", snap.Interrupts[0].Value)

	out, err = chain.ResumeWith(ctx, cfg, "approved", graph.WithOutcome(&outcome))
	fmt.Println("interrupted:", outcome.Interrupted, "sent:", out.Sent, "err:", err)
	// Output:
	// interrupted: true sent: false err: <nil>
	// next: [send]
	// question: Send this email? Your order shipped
	// interrupted: false sent: true err: <nil>
}

// Static interrupts: WithInterruptBefore stops every run before the named
// node, so a person can inspect (or UpdateState) the draft; Resume goes on.
func ExampleWithInterruptBefore() {
	ctx := context.Background()
	g := graph.New[EmailState]()
	g.AddNode("draft", func(context.Context, EmailState) (EmailState, error) {
		return EmailState{Draft: "Your order shipped"}, nil
	})
	g.AddNode("send", func(context.Context, EmailState) (EmailState, error) {
		return EmailState{Sent: true}, nil
	})
	g.AddEdge(graph.START, "draft")
	g.AddEdge("draft", "send")
	chain, err := g.Compile(graph.WithCheckpointer(memory.New()), graph.WithInterruptBefore("send"))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := graph.Config{ThreadID: "email-2"}
	out, _ := chain.Invoke(ctx, EmailState{}, cfg)
	snap, _ := chain.GetState(ctx, cfg)
	fmt.Printf("draft %q, sent %v, next %v\n", out.Draft, out.Sent, snap.Next)
	out, _ = chain.Resume(ctx, cfg)
	fmt.Printf("draft %q, sent %v\n", out.Draft, out.Sent)
	// Output:
	// draft "Your order shipped", sent false, next [send]
	// draft "Your order shipped", sent true
}

// Durability: DurabilityExit stores a run only when it ends, in one append
// on the memory saver, with the same history as the default (sync) mode.
func ExampleWithDurability() {
	ctx := context.Background()
	s := memory.New()
	g := graph.New[EmailState]()
	g.AddNode("draft", func(context.Context, EmailState) (EmailState, error) {
		return EmailState{Draft: "Your order shipped"}, nil
	})
	g.AddNode("send", func(context.Context, EmailState) (EmailState, error) {
		return EmailState{Sent: true}, nil
	})
	g.AddEdge(graph.START, "draft")
	g.AddEdge("draft", "send")
	chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithDurability(graph.DurabilityExit))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, mode := range []graph.Durability{graph.DurabilityExit, graph.DurabilitySync} {
		cfg := graph.Config{ThreadID: string(mode)}
		if _, err := chain.Invoke(ctx, EmailState{}, cfg, mode); err != nil {
			fmt.Println(err)
			return
		}
		checkpoints := 0
		for _, err := range chain.GetStateHistory(ctx, cfg, nil) {
			if err == nil {
				checkpoints++
			}
		}
		fmt.Printf("%s: %d checkpoints in %d appends\n", mode, checkpoints, len(eventsOf(s, cfg.ThreadID)))
	}
	// Output:
	// exit: 4 checkpoints in 1 appends
	// sync: 4 checkpoints in 3 appends
}
