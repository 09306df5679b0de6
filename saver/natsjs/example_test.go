package natsjs_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	saveropen "github.com/jetgraph/jetgraph/saver/open"
)

// The JetStream saver runs on an in-process server keeping its
// data in a directory; nothing needs to be installed. Every change is one
// event on the thread's subject, and ReplayTo gives the thread as it was
// right after any of them.
func Example_embedded() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jetgraph-example-")
	defer os.RemoveAll(dir)

	s, err := saveropen.Embedded(ctx, dir, natsjs.Config{})
	closeFn := s.Close
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closeFn(ctx) //nolint:errcheck // example

	put := func(parent saver.Config, draft string, src saver.Source) saver.Config {
		cp := saver.Checkpoint{
			ID:              saver.NewCheckpointID(parent.CheckpointID),
			ChannelValues:   map[string][]byte{"draft": []byte(draft)},
			ChannelVersions: map[string]uint64{"draft": 1},
		}
		cfg, err := s.Put(ctx, saver.PutOp{Config: parent, Checkpoint: cp, Metadata: saver.Metadata{Source: src}, NewVersions: map[string]uint64{"draft": 1}})
		if err != nil {
			panic(err)
		}
		return cfg
	}
	first := put(saver.Config{ThreadID: "user-123"}, "Hello", saver.SourceInput)
	put(first, "Hello, Alice", saver.SourceLoop)

	latest, _ := s.GetTuple(ctx, saver.Config{ThreadID: "user-123"})
	fmt.Printf("latest: %s (event %d)\n", latest.Checkpoint.ChannelValues["draft"], latest.Seq)

	then, _ := s.ReplayTo(ctx, "user-123", 1)
	old, _ := then.Get(saver.Config{ThreadID: "user-123"})
	fmt.Printf("after event 1: %s\n", old.Checkpoint.ChannelValues["draft"])

	fork, _ := s.ForkThread(ctx, first, "user-123-retry")
	seeded, _ := s.GetTuple(ctx, fork)
	fmt.Printf("fork: %s on %s\n", seeded.Checkpoint.ChannelValues["draft"], fork.ThreadID)
	// Output:
	// latest: Hello, Alice (event 2)
	// after event 1: Hello
	// fork: Hello on user-123-retry
}
