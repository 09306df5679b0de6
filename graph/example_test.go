package graph_test

import (
	"context"
	"fmt"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// chatGraph is the guide's graph: START -> chat -> END, where chat asks the
// (offline) model to answer the conversation so far.
func chatGraph() *graph.StateGraph[ChatState] {
	g := graph.New[ChatState]()
	g.AddNode("chat", chat)
	g.AddEdge(graph.START, "chat")
	g.AddEdge("chat", graph.END)
	return g
}

// The guide's "Thread IDs": each thread is its own conversation.
func Example_threadIDs() {
	ctx := context.Background()
	chain, err := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	if err != nil {
		panic(err)
	}
	config := graph.Config{ThreadID: "user-123"}

	// First message.
	chain.Invoke(ctx, human("I'm Alice"), config)

	// Second message: remembers Alice.
	out, _ := chain.Invoke(ctx, human("What's my name?"), config)
	fmt.Println("user-123:", last(out))

	// A different thread does not know Alice.
	otherConfig := graph.Config{ThreadID: "user-456"}
	out, _ = chain.Invoke(ctx, human("What's my name?"), otherConfig)
	fmt.Println("user-456:", last(out))
	// Output:
	// user-123: Your name is Alice.
	// user-456: I don't know your name yet.
}

// The guide's "Multi-Turn Conversations": the messages reducer accumulates
// the conversation across invokes of one thread.
func Example_multiTurn() {
	ctx := context.Background()
	chain, _ := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "demo"}

	// Turn 1.
	chain.Invoke(ctx, ChatState{Messages: []message.Message{message.Human("My color is blue.")}}, config)

	// Turn 2: remembers.
	result, _ := chain.Invoke(ctx, ChatState{Messages: []message.Message{message.Human("What's my color?")}}, config)
	for _, m := range result.Messages {
		fmt.Printf("%s: %s\n", m.Role, m.Content)
	}
	// Output:
	// human: My color is blue.
	// ai: Noted: your color is blue.
	// human: What's my color?
	// ai: Your color is blue.
}

// The guide's "Viewing History": every step of every turn is a checkpoint,
// listed newest first.
func Example_viewingHistory() {
	ctx := context.Background()
	chain, _ := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "demo"}
	chain.Invoke(ctx, human("My color is blue."), config)
	chain.Invoke(ctx, human("What's my color?"), config)

	for state, err := range chain.GetStateHistory(ctx, config, nil) {
		if err != nil {
			panic(err)
		}
		// state.Config.CheckpointID is a time-ordered UUIDv7.
		fmt.Printf("step %2d %-5s messages=%d next=%v\n",
			state.Metadata.Step, state.Metadata.Source, len(state.Values.Messages), state.Next)
	}
	// Output:
	// step  4 loop  messages=4 next=[]
	// step  3 loop  messages=3 next=[chat]
	// step  2 input messages=2 next=[__start__]
	// step  1 loop  messages=2 next=[]
	// step  0 loop  messages=1 next=[chat]
	// step -1 input messages=0 next=[__start__]
}

// checkpointAt returns the id of the newest checkpoint of a thread at step.
func checkpointAt(ctx context.Context, chain *graph.Graph[ChatState], config graph.Config, step int) string {
	for state, err := range chain.GetStateHistory(ctx, config, &graph.HistoryParams{Filter: map[string]any{"step": step}}) {
		if err != nil {
			panic(err)
		}
		return state.Config.CheckpointID
	}
	panic(fmt.Sprintf("no checkpoint at step %d", step))
}

// The guide's "Resuming from Checkpoint": Resume with a checkpoint id replays
// from that point on a new branch; the steps before it are not run again.
func Example_resumingFromCheckpoint() {
	ctx := context.Background()
	chain, _ := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "my-thread"}
	chain.Invoke(ctx, human("My color is blue."), config)
	chain.Invoke(ctx, human("What's my color?"), config)

	// The checkpoint where turn 2's question is in and the answer not yet.
	checkpointID := checkpointAt(ctx, chain, config, 3)

	resumeConfig := graph.Config{ThreadID: "my-thread", CheckpointID: checkpointID}
	result, _ := chain.Resume(ctx, resumeConfig)
	fmt.Println("replayed answer:", last(result), "messages:", len(result.Messages))

	for state := range chain.GetStateHistory(ctx, config, &graph.HistoryParams{Limit: 3}) {
		fmt.Printf("step %d %s\n", state.Metadata.Step, state.Metadata.Source)
	}
	// Output:
	// replayed answer: Your color is blue. messages: 4
	// step 4 loop
	// step 3 fork
	// step 4 loop
}

// The guide's "Modifying and Resuming": append to the state's messages and
// update. The messages reducer merges by id, so exactly one message is
// added, not a second copy of the history.
func Example_modifyingAndResuming() {
	ctx := context.Background()
	chain, _ := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "demo"}
	chain.Invoke(ctx, human("My color is blue."), config)

	state, _ := chain.GetState(ctx, config)
	modified := state.Values
	modified.Messages = append(modified.Messages, message.Human("What's my color?"))

	// As in LangGraph, the update is attributed to the node that ran last
	// (chat), whose edge leads to END: nothing is left to run.
	chain.UpdateState(ctx, config, modified, "")
	result, _ := chain.Resume(ctx, config)
	fmt.Println("messages:", len(state.Values.Messages), "->", len(result.Messages))

	// Attributed to START instead, the update makes chat run on Resume.
	state, _ = chain.GetState(ctx, config)
	chain.UpdateState(ctx, config, state.Values, graph.START)
	after, _ := chain.GetState(ctx, config)
	fmt.Println("next:", after.Next)
	result, _ = chain.Resume(ctx, config)
	fmt.Println("messages:", len(result.Messages), "answer:", last(result))
	// Output:
	// messages: 2 -> 3
	// next: [chat]
	// messages: 4 answer: Your color is blue.
}

// The guide's "Forking": a new thread id with another thread's checkpoint id
// starts a new thread from that point; the original is untouched.
func Example_forking() {
	ctx := context.Background()
	chain, _ := chatGraph().Compile(graph.WithCheckpointer(memory.New()))
	config := graph.Config{ThreadID: "my-thread"}
	chain.Invoke(ctx, human("My color is blue."), config)
	chain.Invoke(ctx, human("What's my color?"), config)
	checkpointID := checkpointAt(ctx, chain, config, 1) // after turn 1

	forkConfig := graph.Config{ThreadID: "forked-thread", CheckpointID: checkpointID}
	chain.Invoke(ctx, human("My color is green."), forkConfig)

	forked, _ := chain.Invoke(ctx, human("What's my color?"), graph.Config{ThreadID: "forked-thread"})
	original, _ := chain.GetState(ctx, config)
	fmt.Println("forked:  ", last(forked))
	fmt.Println("original:", last(original.Values))
	// Output:
	// forked:   Your color is green.
	// original: Your color is blue.
}
