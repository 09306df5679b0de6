package natsjs_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
)

// Many conversations at once through one saver (one connection, appends
// pipelined on it), and a second saver on the same stream (another
// process, its own connection and cache) taking turns on some of the same
// threads: every invoke that returned is stored, in order, on one
// unbranched line per thread, each turn's input checkpoint stored before
// the node's (no phantom state: no loop checkpoint without the input it
// ran on), and the other saver's turns are not lost to stale caches. An
// invoke on a shared thread may fail with saver.ErrStale when the other
// saver moved the thread on twice under it (read, then refused): it then
// stores nothing.
func TestManyConversationsAtOnceLoseNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []graph.Durability{graph.DurabilityAsync, graph.DurabilitySync} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			srv, js := setupServer(t)
			cfg := isolated(1)
			sa, sb := open(t, js, cfg), open(t, connect(t, srv), cfg)
			a, b := echoGraph(t, sa, mode), echoGraph(t, sb, mode)
			const own, shared, turns = 24, 4, 10
			ctx := t.Context()
			var wg sync.WaitGroup
			said := make(map[string]*[]string) // thread -> human messages of the invokes that returned
			var mu sync.Mutex
			invoke := func(g *graph.Graph[chatState], thread, text string) {
				_, err := g.Invoke(ctx, chatState{Messages: []message.Message{message.Human(text)}}, graph.Config{ThreadID: thread}, graph.WaitIfBusy())
				if err != nil && (!strings.HasPrefix(thread, "shared-") || !errors.Is(err, saver.ErrStale)) {
					t.Errorf("%s %q: %v", thread, text, err)
				}
				if err != nil {
					// A run that lost the race for a shared thread twice
					// (read, then found it moved on) stored nothing.
					return
				}
				mu.Lock()
				*said[thread] = append(*said[thread], text)
				mu.Unlock()
			}
			// Every thread's entry exists before any goroutine starts: the
			// map itself is then only read concurrently.
			for i := range own {
				said[fmt.Sprint("own-", i)] = new([]string)
			}
			for i := range shared {
				said[fmt.Sprint("shared-", i)] = new([]string)
			}
			for i := range own {
				thread := fmt.Sprint("own-", i)
				wg.Go(func() {
					for j := range turns {
						invoke(a, thread, fmt.Sprintf("%s/%d", thread, j))
					}
				})
			}
			for i := range shared {
				thread := fmt.Sprint("shared-", i)
				for w, g := range []*graph.Graph[chatState]{a, b} {
					wg.Go(func() {
						for j := range turns {
							invoke(g, thread, fmt.Sprintf("%s/%d/%d", thread, w, j))
						}
					})
				}
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			for thread, texts := range said {
				// Read through the other saver for the own threads: what a
				// was told is stored must be in the stream.
				g := b
				if strings.HasPrefix(thread, "shared-") && len(*texts)%2 == 0 {
					g = a
				}
				st, err := g.GetState(ctx, graph.Config{ThreadID: thread})
				if err != nil {
					t.Fatal(err)
				}
				var humans, echoes []string
				for _, m := range st.Values.Messages {
					switch m.Role {
					case message.RoleHuman:
						humans = append(humans, m.Content)
					case message.RoleAI:
						echoes = append(echoes, strings.TrimPrefix(m.Content, "echo: "))
					}
				}
				if len(humans) != len(*texts) || strings.Join(echoes, ",") != strings.Join(humans, ",") {
					t.Fatalf("%s: humans %q, echoes %q; %d invokes returned", thread, humans, echoes, len(*texts))
				}
				// Each conversation's turns are in the order its goroutine
				// made them (across goroutines any order).
				if !strings.HasPrefix(thread, "shared-") && strings.Join(humans, ",") != strings.Join(*texts, ",") {
					t.Fatalf("%s: turns %q, made in the order %q", thread, humans, *texts)
				}
				checkLine(t, sa, thread, len(humans))
			}
		})
	}
}

// checkLine checks a thread's history: one line from its newest checkpoint
// back, and per turn, oldest first, its input checkpoint and then the two
// loop checkpoints of its run (input applied, node done).
func checkLine(t *testing.T, s saver.Saver, thread string, turns int) {
	t.Helper()
	var all []*saver.Tuple
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: thread}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, tu)
	}
	if len(all) != 3*turns {
		t.Fatalf("%s: %d checkpoints, want %d (3 per turn)", thread, len(all), 3*turns)
	}
	for i, tu := range all {
		if i+1 < len(all) && (tu.ParentConfig == nil || tu.ParentConfig.CheckpointID != all[i+1].Config.CheckpointID) {
			t.Fatalf("%s: checkpoint %s does not follow %s: the history branches", thread, tu.Config.CheckpointID, all[i+1].Config.CheckpointID)
		}
		if want := i%3 == 2; (tu.Metadata.Source == saver.SourceInput) != want {
			t.Fatalf("%s: checkpoint %d from the head is a %s checkpoint; want the input checkpoint every third, before the loop's", thread, i, tu.Metadata.Source)
		}
	}
}
