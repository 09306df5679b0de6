package graph_test

import (
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	chain, s := newChat(t)
	cfg := graph.Config{ThreadID: "demo"}
	if _, err := chain.Invoke(ctx, human("My color is blue."), cfg); err != nil {
		t.Fatal(err)
	}
	out, err := chain.Invoke(ctx, human("What's my color?"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(last(out), len(out.Messages), len(s.Events("demo")))
	for snap, err := range chain.GetStateHistory(ctx, cfg) {
		if err != nil {
			t.Fatal(err)
		}
		t.Log(snap.Metadata.Source, snap.Metadata.Step, snap.Next, len(snap.Values.Messages))
	}
	for _, ev := range s.Events("demo") {
		t.Log(ev.Seq, len(ev.Payload))
	}
}
