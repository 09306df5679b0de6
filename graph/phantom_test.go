package graph_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/message"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// twoProcesses returns two savers that share one store, as two processes
// would: two stores over one memory log, or two SQLite savers on one file.
type twoProcesses func(t *testing.T) (saver.Saver, saver.Saver)

var sharedStores = []struct {
	name string
	open twoProcesses
}{
	{"memory", func(t *testing.T) (saver.Saver, saver.Saver) {
		log := memory.NewLog()
		return eventstore.New(log, eventstore.Options{}), eventstore.New(log, eventstore.Options{})
	}},
	{"sqlite", func(t *testing.T) (saver.Saver, saver.Saver) {
		path := filepath.Join(t.TempDir(), "checkpoints.db")
		open := func() saver.Saver {
			s, err := sqlite.FromConnString(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(context.Background()) })
			return s
		}
		return open(), open()
	}},
}

// witness records what each run of its node saw and how often the node's
// Task ran.
type witness struct {
	mu    sync.Mutex
	saw   [][]string
	tasks atomic.Int32
}

func (w *witness) node(ctx context.Context, s ChatState) (ChatState, error) {
	seen := humanTurns(s)
	w.mu.Lock()
	w.saw = append(w.saw, seen)
	w.mu.Unlock()
	if _, err := graph.Task(ctx, "side effect", func(context.Context) (int, error) {
		return int(w.tasks.Add(1)), nil
	}); err != nil {
		return ChatState{}, err
	}
	return ChatState{Messages: []message.Message{message.AI("seen " + strings.Join(seen, " "))}}, nil
}

// No phantom states: a process whose view of the thread is stale never
// runs a node on a state the thread never had, and a Task runs once per
// run. A invokes "a1", B "b1", then A "a2": A's node must see
// [a1 b1 a2], never [a1 a2].
func TestNoNodeRunsOnAStateTheThreadNeverHad(t *testing.T) {
	t.Parallel()
	for _, st := range sharedStores {
		for _, mode := range modes {
			t.Run(st.name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				sa, sb := st.open(t)
				w := &witness{}
				compile := func(s saver.Saver) *graph.Graph[ChatState] {
					g := graph.New[ChatState]()
					g.AddNode("chat", w.node)
					g.AddEdge(graph.START, "chat")
					chain, err := g.Compile(graph.WithCheckpointer(s), graph.WithDurability(mode))
					if err != nil {
						t.Fatal(err)
					}
					return chain
				}
				a, b := compile(sa), compile(sb)
				ctx := t.Context()
				cfg := graph.Config{ThreadID: "t"}
				runs := 0
				for _, turn := range []struct {
					on   *graph.Graph[ChatState]
					text string
				}{{a, "a1"}, {b, "b1"}, {a, "a2"}} {
					if _, err := turn.on.Invoke(ctx, human(turn.text), cfg); err != nil {
						t.Fatalf("invoke %q: %v", turn.text, err)
					}
					runs++
				}
				w.mu.Lock()
				defer w.mu.Unlock()
				want := [][]string{{"a1"}, {"a1", "b1"}, {"a1", "b1", "a2"}}
				if !slices.EqualFunc(w.saw, want, slices.Equal) {
					t.Fatalf("the node saw %q, want %q", w.saw, want)
				}
				if n := int(w.tasks.Load()); n != runs {
					t.Fatalf("the Task ran %d times in %d runs", n, runs)
				}
				out, err := b.GetState(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if got := humanTurns(out.Values); !slices.Equal(got, []string{"a1", "b1", "a2"}) {
					t.Fatalf("the thread holds %q", got)
				}
			})
		}
	}
}
