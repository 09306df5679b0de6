package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

// START and END are the graph's virtual entry and exit nodes.
const (
	START = "__start__"
	END   = "__end__"
)

// NodeFunc is a node: it reads the state and returns a partial update, in
// which fields left at their zero value are not written. It must not modify
// the state it is given in place.
type NodeFunc[S any] func(ctx context.Context, s S) (S, error)

// RouteFunc picks where a conditional edge leads: node names, several of
// them to run in parallel, or END. None means END too.
type RouteFunc[S any] func(ctx context.Context, s S) []string

// Send asks for one run of Node with Input as its state (a map step: one
// task per item, each with its own input).
type Send[S any] struct {
	Node  string
	Input S
}

// SendFunc fans out: each Send it returns becomes a task of the next step.
type SendFunc[S any] func(ctx context.Context, s S) []Send[S]

// StateGraph builds a graph over the state struct S. Its methods record
// mistakes and Compile reports them all.
type StateGraph[S any] struct {
	nodes    map[string]NodeFunc[S]
	order    []string
	edges    [][2]string
	joins    []joinSpec
	branches []branch[S]
	reducers map[string]Reducer
	errs     []error
}

type joinSpec struct {
	from    []string
	to      string
	channel string
}

type branch[S any] struct {
	from  string
	route RouteFunc[S]
	sends SendFunc[S]
	ends  []string
}

// New returns an empty builder for a graph over the state struct S.
func New[S any]() *StateGraph[S] {
	return &StateGraph[S]{nodes: make(map[string]NodeFunc[S]), reducers: make(map[string]Reducer)}
}

func (g *StateGraph[S]) errorf(format string, args ...any) {
	g.errs = append(g.errs, fmt.Errorf(format, args...))
}

// AddNode adds a node. Names are unique, not START or END, and contain no
// ':' or ','.
func (g *StateGraph[S]) AddNode(name string, fn NodeFunc[S]) {
	switch {
	case name == "" || name == START || name == END || strings.HasPrefix(name, "__"):
		g.errorf("add node %q: reserved name", name)
	case strings.ContainsAny(name, ":,"):
		g.errorf("add node %q: names may not contain ':' or ','", name)
	case fn == nil:
		g.errorf("add node %q: nil function", name)
	case g.nodes[name] != nil:
		g.errorf("add node %q: added twice", name)
	default:
		g.nodes[name] = fn
		g.order = append(g.order, name)
	}
}

// AddEdge makes to run after from. Several edges out of one node fan out
// (the targets run in parallel in the next step); edges into one node from
// nodes of the same step run it once. from may be START, to may be END.
func (g *StateGraph[S]) AddEdge(from, to string) {
	g.edges = append(g.edges, [2]string{from, to})
}

// AddJoinEdge makes to run once every node of from has finished, even when
// they finish in different steps.
func (g *StateGraph[S]) AddJoinEdge(from []string, to string) {
	if len(from) == 0 {
		g.errorf("add join edge to %q: no source nodes", to)
		return
	}
	g.joins = append(g.joins, joinSpec{from: from, to: to, channel: "join:" + strings.Join(from, ",") + ":" + to})
}

// AddConditionalEdges routes from a node (or START) to the nodes route
// returns, evaluated on the state with the node's own update applied. ends
// optionally lists every node route may return; it is used to check
// reachability and to draw the graph.
func (g *StateGraph[S]) AddConditionalEdges(from string, route RouteFunc[S], ends ...string) {
	if route == nil {
		g.errorf("add conditional edges from %q: nil route", from)
		return
	}
	g.branches = append(g.branches, branch[S]{from: from, route: route, ends: ends})
}

// AddSendEdges fans out from a node (or START): every Send that fan returns
// runs its node in the next step with the Send's input as the node's state.
// ends optionally lists the nodes fan may target.
func (g *StateGraph[S]) AddSendEdges(from string, fan SendFunc[S], ends ...string) {
	if fan == nil {
		g.errorf("add send edges from %q: nil function", from)
		return
	}
	g.branches = append(g.branches, branch[S]{from: from, sends: fan, ends: ends})
}

// AddReducer registers a custom reducer that fields select with
// `graph:"name,reducer=<name>"`.
func (g *StateGraph[S]) AddReducer(name string, r Reducer) {
	if err := checkReducerName(name); err != nil {
		g.errorf("add reducer: %v", err)
		return
	}
	if r == nil {
		g.errorf("add reducer %q: nil", name)
		return
	}
	g.reducers[name] = r
}

func (g *StateGraph[S]) stateType() reflect.Type { return reflect.TypeFor[S]() }
