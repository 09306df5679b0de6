package graph_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/sqlite"
)

// link is a node of a linked structure that may point back at itself.
type link struct {
	Name string
	Next *link
}

// anyState has channels that can hold what msgpack cannot store.
type anyState struct {
	Name  string         `graph:"name"`
	Extra any            `graph:"extra"`
	Chain *link          `graph:"chain"`
	Items []any          `graph:"items,reducer=append"`
	Table map[string]any `graph:"table"`
}

// unencodable are values a node can return that cannot be stored: each
// must be an error naming the channel (and the node) before anything of
// the step is written.
func unencodable() map[string]anyState {
	loop := &link{Name: "a"}
	loop.Next = &link{Name: "b", Next: loop}
	self := []any{"x", nil}
	self[1] = self
	table := map[string]any{"k": 1}
	table["self"] = table
	deep := map[string]any{}
	deep["inner"] = []any{map[string]any{"back": deep}}
	return map[string]anyState{
		"func":                    {Extra: func() {}},
		"chan":                    {Extra: make(chan int)},
		"complex":                 {Extra: complex(1, 2)},
		"pointer cycle":           {Chain: loop},
		"slice containing itself": {Items: []any{self}},
		"map containing itself":   {Table: table},
		"cycle through a list":    {Extra: deep},
		"float keys in an any":    {Extra: map[float64]string{1.5: "x"}},
		"NaN key in an any":       {Extra: map[float64]string{math.NaN(): "x"}},
	}
}

var channelOf = map[string]string{"func": "extra", "chan": "extra", "complex": "extra", "pointer cycle": "chain",
	"slice containing itself": "items", "map containing itself": "table", "cycle through a list": "extra",
	"float keys in an any": "extra", "NaN key in an any": "extra"}

// hostileSavers are the real savers the graph runs on here.
var hostileSavers = map[string]func(t *testing.T) saver.Saver{
	"memory": func(*testing.T) saver.Saver { return memory.New() },
	"sqlite": func(t *testing.T) saver.Saver {
		s, err := sqlite.FromConnString(t.Context(), filepath.Join(t.TempDir(), "jg.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(context.Background()) })
		return s
	},
}

// poisonGraph's node returns poison when the input's name is "poison",
// and a good value otherwise.
func poisonGraph(t *testing.T, s saver.Saver, poison anyState) *graph.Graph[anyState] {
	t.Helper()
	g := graph.New[anyState]()
	g.AddNode("maker", func(_ context.Context, st anyState) (anyState, error) {
		if st.Name == "poison" {
			return poison, nil
		}
		return anyState{Extra: "good " + st.Name, Items: []any{st.Name}}, nil
	})
	g.AddEdge(graph.START, "maker")
	g.AddEdge("maker", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// stored describes every tuple the saver holds for the thread.
func stored(t *testing.T, s saver.Saver, thread string) []string {
	t.Helper()
	var out []string
	for tu, err := range s.List(t.Context(), saver.ListParams{ThreadID: thread}) {
		if err != nil {
			t.Fatal(err)
		}
		var writes []string
		for _, w := range tu.PendingWrites {
			writes = append(writes, w.Channel)
		}
		out = append(out, fmt.Sprintf("%s %v writes %v", tu.Config.CheckpointID, tu.Metadata.Source, writes))
	}
	return out
}

func TestUnencodableValuesAreErrorsNamingTheChannelAndNothingIsStored(t *testing.T) {
	t.Parallel()
	for sname, open := range hostileSavers {
		for name, poison := range unencodable() {
			t.Run(sname+"/"+name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				s := open(t)
				chain := poisonGraph(t, s, poison)
				cfg := graph.Config{ThreadID: "t"}
				if _, err := chain.Invoke(ctx, anyState{Name: "one"}, cfg); err != nil {
					t.Fatal(err)
				}
				channel := fmt.Sprintf("channel %q", channelOf[name])

				// A node returns it: the run fails naming the node and the
				// channel; the node's write is not stored.
				before := stored(t, s, "t")
				_, err := chain.Invoke(ctx, anyState{Name: "poison"}, cfg)
				if err == nil || !strings.Contains(err.Error(), channel) || !strings.Contains(err.Error(), `node "maker"`) {
					t.Fatalf("a node returning %s: %v; want an error naming the node and the %s", name, err, channel)
				}
				for _, tu := range stored(t, s, "t")[:len(stored(t, s, "t"))-len(before)] {
					if ch := channelOf[name]; strings.Contains(tu, "["+ch) || strings.Contains(tu, " "+ch+" ") || strings.Contains(tu, " "+ch+"]") {
						t.Fatalf("the failed run stored a write of the channel: %s", tu)
					}
				}
				st, err := chain.GetState(ctx, cfg)
				if err != nil || st.Values.Extra != "good one" {
					t.Fatalf("state after the failed run: %+v, %v; want the last good one", st.Values, err)
				}

				// As an update, or as the input: an error naming the
				// channel (and the node), and nothing at all is stored.
				before = stored(t, s, "t")
				_, err = chain.UpdateState(ctx, cfg, poison, "maker")
				if err == nil || !strings.Contains(err.Error(), channel) || !strings.Contains(err.Error(), `node "maker"`) {
					t.Fatalf("an update with %s: %v; want an error naming the node and the %s", name, err, channel)
				}
				in := poison
				in.Name = "input"
				if _, err := chain.Invoke(ctx, in, cfg); err == nil || !strings.Contains(err.Error(), channel) {
					t.Fatalf("an input with %s: %v; want an error naming the %s", name, err, channel)
				}
				if after := stored(t, s, "t"); strings.Join(after, "\n") != strings.Join(before, "\n") {
					t.Fatalf("a refused update or input stored something:\nbefore %v\nafter  %v", before, after)
				}

				// The thread goes on.
				out, err := chain.Invoke(ctx, anyState{Name: "two"}, cfg)
				if err != nil || out.Extra != "good two" {
					t.Fatalf("the next run: %+v, %v", out, err)
				}
			})
		}
	}
}

// A value that shares parts without a cycle (the same map twice, a DAG)
// is stored: only a cycle is refused.
func TestSharedButAcyclicValuesAreStored(t *testing.T) {
	t.Parallel()
	shared := map[string]any{"k": "v"}
	tail := &link{Name: "tail"}
	value := anyState{Name: "poison", Extra: []any{shared, shared, []any{shared}}, Chain: &link{Name: "head", Next: tail}, Table: map[string]any{"a": shared, "b": shared}}
	s := memory.New()
	chain := poisonGraph(t, s, value)
	out, err := chain.Invoke(t.Context(), anyState{Name: "poison"}, graph.Config{ThreadID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Chain == nil || out.Chain.Next == nil || out.Chain.Next.Name != "tail" || len(out.Table) != 2 {
		t.Fatalf("read back %+v", out)
	}
}

// A checkpoint id of thread B, used on thread A, is not found by any of
// the graph's calls, and B's data never comes back.
func TestCheckpointOfAnotherThreadIsNotFound(t *testing.T) {
	t.Parallel()
	for sname, open := range hostileSavers {
		t.Run(sname, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t)
			chain := poisonGraph(t, s, anyState{})
			a, b := graph.Config{ThreadID: "thread-a"}, graph.Config{ThreadID: "thread-b"}
			if _, err := chain.Invoke(ctx, anyState{Name: "alice"}, a); err != nil {
				t.Fatal(err)
			}
			if _, err := chain.Invoke(ctx, anyState{Name: "SECRET-bob"}, b); err != nil {
				t.Fatal(err)
			}
			before := [2][]string{stored(t, s, "thread-a"), stored(t, s, "thread-b")}
			var ids []string
			for st, err := range chain.GetStateHistory(ctx, b, nil) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, st.Config.CheckpointID)
			}
			for _, id := range ids {
				foreign := graph.Config{ThreadID: "thread-a", CheckpointID: id}
				leak := func(what string, v anyState, err error) {
					t.Helper()
					if !errors.Is(err, saver.ErrNotFound) {
						t.Fatalf("%s with a checkpoint of another thread: %v; want saver.ErrNotFound", what, err)
					}
					if strings.Contains(fmt.Sprint(v), "SECRET") {
						t.Fatalf("%s with a checkpoint of another thread returned its data: %+v", what, v)
					}
				}
				st, err := chain.GetState(ctx, foreign)
				leak("GetState", st.Values, err)
				out, err := chain.Invoke(ctx, anyState{Name: "x"}, foreign)
				leak("Invoke from a checkpoint", out, err)
				out, err = chain.Resume(ctx, foreign)
				leak("Resume from a checkpoint", out, err)
				_, err = chain.UpdateState(ctx, foreign, anyState{Name: "x"}, "maker")
				leak("UpdateState", anyState{}, err)
				_, err = chain.Fork(ctx, foreign, "forked")
				leak("Fork", anyState{}, err)
				if len(stored(t, s, "forked")) != 0 {
					t.Fatal("a refused fork created its thread")
				}
				for st, err := range chain.GetStateHistory(ctx, a, &graph.HistoryParams{Before: id}) {
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(fmt.Sprint(st.Values), "SECRET") {
						t.Fatalf("history of A before a checkpoint of B yields B's data: %+v", st.Values)
					}
				}
			}
			after := [2][]string{stored(t, s, "thread-a"), stored(t, s, "thread-b")}
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused calls stored something:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// bigState has channels large enough to go out of line, or past a limit.
type bigState struct {
	Name string `graph:"name"`
	Mid  string `graph:"mid"`
	Big  []byte `graph:"big"`
}

// count returns the rows of a table of a SQLite file, read on a
// connection of its own.
func count(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantTooLarge checks that err names the channel, a size above limit and
// the limit.
func wantTooLarge(t *testing.T, err error, channel string, limit int) {
	t.Helper()
	m := regexp.MustCompile(`channel "([^"]*)" holds (\d+) bytes`).FindStringSubmatch(err.Error())
	if m == nil || m[1] != channel {
		t.Fatalf("%q does not name channel %q and its size", err, channel)
	}
	if n, _ := strconv.Atoi(m[2]); n <= limit {
		t.Fatalf("%q names a size of %s bytes, not above the limit %d", err, m[2], limit)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(limit)) {
		t.Fatalf("%q does not say the limit %d", err, limit)
	}
}

// A value above the saver's MaxValueBytes is an error matching
// saver.ErrTooLarge that names the channel, its size and the limit; nothing
// of it is stored (no event, no out-of-line value left behind), and the
// thread reads as before. SQLite, with a limit of 1 MiB.
func TestValueAboveTheLimitIsTooLargeAndStoresNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "jg.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const limit = 1 << 20
	s := sqlite.New(db, sqlite.Config{Store: eventstore.Options{MaxValueBytes: limit}})
	if err := s.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	var poison atomic.Int32 // the fill of a new out-of-line value, with one past the limit; 0: a good value
	g := graph.New[bigState]()
	g.AddNode("grow", func(_ context.Context, st bigState) (bigState, error) {
		if fill := poison.Load(); fill != 0 {
			return bigState{Mid: strings.Repeat(string(rune(fill)), 300<<10), Big: make([]byte, limit+1)}, nil
		}
		return bigState{Mid: strings.Repeat("m", 300<<10), Big: []byte("small")}, nil
	})
	g.AddEdge(graph.START, "grow")
	g.AddEdge("grow", graph.END)
	chain, err := g.Compile(graph.WithCheckpointer(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{ThreadID: "t"}
	if _, err := chain.Invoke(ctx, bigState{Name: "n"}, cfg); err != nil {
		t.Fatal(err)
	}
	before, err := chain.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	blobs := count(t, path, "jetgraph_blobs")
	if blobs == 0 {
		t.Fatal("the 300 KiB value is not out of line: the check below proves nothing")
	}
	tooLarge := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, saver.ErrTooLarge) {
			t.Fatalf("%s: %v; want saver.ErrTooLarge", what, err)
		}
		wantTooLarge(t, err, "big", limit)
	}

	// Several new out-of-line values: whichever order the store meets
	// them and the one past the limit in, none may stay behind.
	for _, fill := range "nopqrstu" {
		events := count(t, path, "jetgraph_events")
		_, err = chain.UpdateState(ctx, cfg, bigState{Mid: strings.Repeat(string(fill), 300<<10), Big: make([]byte, limit+1)}, "grow")
		tooLarge("an update", err)
		if n := count(t, path, "jetgraph_events"); n != events {
			t.Fatalf("a refused update stored %d events", n-events)
		}
		poison.Store(fill)
		_, err = chain.Invoke(ctx, bigState{Name: "n"}, cfg)
		tooLarge("a node's value", err)
		if n := count(t, path, "jetgraph_blobs"); n != blobs {
			t.Fatalf("%d out-of-line values are stored, %d before: a refused write left some behind", n, blobs)
		}
		after, err := chain.GetState(ctx, cfg)
		if err != nil || !reflect.DeepEqual(after.Values, before.Values) {
			t.Fatalf("the thread reads %v (%v) after the refused write, want it as before", after.Values.Name, err)
		}
	}
	poison.Store(0)
	if _, err := chain.Invoke(ctx, bigState{Name: "n"}, cfg); err != nil {
		t.Fatalf("the thread does not go on: %v", err)
	}
}
