// Package workflow is the order workflow the crash harness runs: the child
// runs it, and the harness compiles it to read the final state of each
// thread back from the store.
package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/jetgraph/jetgraph/graph"
)

// State is the order workflow's state. Every field but Nonces, Charge and
// Notice is the same on every run of the workflow; Nonces holds one random
// value per node execution on the thread's line of execution, so the state
// a node sees names the checkpoint it runs from.
type State struct {
	Order  string   `graph:"order" json:"order"`
	Trail  []string `graph:"trail,reducer=append" json:"trail"`
	Parts  []string `graph:"parts,reducer=append" json:"parts"`
	Total  int      `graph:"total" json:"total"`
	Answer string   `graph:"answer" json:"answer"`
	Status string   `graph:"status" json:"status"`
	// Charge and Notice are the markers the two Task calls returned.
	Charge string `graph:"charge" json:"charge"`
	Notice string `graph:"notice" json:"notice"`
	// Nonces gets one random value per node execution.
	Nonces []string `graph:"nonces,reducer=append" json:"nonces"`
}

// The task names, as written to the side-effect file.
const (
	TaskCharge = "charge"
	TaskNotify = "notify"
)

// Options is what the nodes need from outside the graph. The zero value
// builds a graph to read states with: its nodes must not run.
type Options struct {
	// Effects is the file the Task side effects are appended to.
	Effects string
	// Gen is the child's generation, written with each side effect.
	Gen int
	// MaxDelay is the longest random delay of a node. Defaults to none.
	MaxDelay time.Duration
	// EffectOutsideTask is a fault: the side effect runs before
	// graph.Task instead of inside it, so a node that runs again repeats it.
	EffectOutsideTask bool
}

type workflow struct{ Options }

// Build returns the workflow's graph.
func Build(o Options) *graph.StateGraph[State] { return (&workflow{o}).build() }

// build returns the workflow's graph: receive, a fan-out to three checks,
// tally once all three are done, approve (a Task, then an Interrupt), ship
// (a Task) and finish: seven supersteps after the input's.
func (w *workflow) build() *graph.StateGraph[State] {
	g := graph.New[State]()
	g.AddNode("receive", w.node("receive", func(ctx context.Context, s State) (State, error) {
		return State{Total: 1}, nil
	}))
	checks := []string{"check_a", "check_b", "check_c"}
	for _, name := range checks {
		g.AddNode(name, w.node(name, func(ctx context.Context, s State) (State, error) {
			return State{Parts: []string{name + ":" + s.Order}}, nil
		}))
	}
	g.AddNode("tally", w.node("tally", func(ctx context.Context, s State) (State, error) {
		return State{Total: 10 * len(s.Parts)}, nil
	}))
	g.AddNode("approve", w.node("approve", func(ctx context.Context, s State) (State, error) {
		marker, err := w.task(ctx, TaskCharge, s)
		if err != nil {
			return State{}, err
		}
		answer, err := graph.Interrupt[string](ctx, fmt.Sprintf("approve %s for %d", s.Order, s.Total))
		if err != nil {
			return State{}, err
		}
		return State{Charge: marker, Answer: answer}, nil
	}))
	g.AddNode("ship", w.node("ship", func(ctx context.Context, s State) (State, error) {
		marker, err := w.task(ctx, TaskNotify, s)
		if err != nil {
			return State{}, err
		}
		return State{Notice: marker}, nil
	}))
	g.AddNode("finish", w.node("finish", func(ctx context.Context, s State) (State, error) {
		return State{Status: "complete"}, nil
	}))
	g.AddEdge(graph.START, "receive")
	for _, name := range checks {
		g.AddEdge("receive", name)
	}
	g.AddJoinEdge(checks, "tally")
	g.AddEdge("tally", "approve")
	g.AddEdge("approve", "ship")
	g.AddEdge("ship", "finish")
	g.AddEdge("finish", graph.END)
	return g
}

// node wraps fn: a short random delay first, so that kills land inside
// steps, and the node's name and a nonce added to its update.
func (w *workflow) node(name string, fn graph.NodeFunc[State]) graph.NodeFunc[State] {
	return func(ctx context.Context, s State) (State, error) {
		if err := sleep(ctx, randDuration(w.MaxDelay)); err != nil {
			return State{}, err
		}
		out, err := fn(ctx, s)
		if err != nil {
			return out, err
		}
		out.Trail = append(out.Trail, name)
		out.Nonces = append(out.Nonces, name+":"+RandHex(6))
		return out, nil
	}
}

// task runs the named side effect as a graph.Task: it appends one line to
// the side-effect file, `name key marker gen`, and returns the marker. key
// names the checkpoint the node runs from (a digest of the nonces it sees),
// so lines with the same name and key are calls of the same task.
func (w *workflow) task(ctx context.Context, name string, s State) (string, error) {
	key := Key(s.Nonces)
	effect := func(ctx context.Context) (string, error) {
		marker := RandHex(8)
		f, err := os.OpenFile(w.Effects, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return "", err
		}
		_, err = fmt.Fprintf(f, "%s %s %s %d\n", name, key, marker, w.Gen)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("side effect %s: %w", name, err)
		}
		return marker, nil
	}
	if w.EffectOutsideTask {
		marker, err := effect(ctx)
		if err != nil {
			return "", err
		}
		return graph.Task(ctx, name, func(context.Context) (string, error) { return marker, nil })
	}
	return graph.Task(ctx, name, effect)
}

// Key is a short digest of a state's nonces.
func Key(nonces []string) string {
	sum := sha256.Sum256([]byte(strings.Join(nonces, "|")))
	return hex.EncodeToString(sum[:6])
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randDuration(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(limit)))
	return time.Duration(n.Int64())
}

// RandHex returns n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
