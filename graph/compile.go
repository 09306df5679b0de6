package graph

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jetgraph/jetgraph/saver"
)

// Option configures Compile.
type Option func(*options)

type options struct {
	saver      saver.Saver
	limit      int
	name       string
	durability Durability
	before     []string
	after      []string
	lease      time.Duration
	dispatcher Dispatcher // WithDispatcher (dispatch.go)
	// WithListCache (listcache.go)
	listThreads int
	listBytes   int64
}

// WithCheckpointer makes the graph save a checkpoint after every step, so
// threads keep their history. Without one, a graph runs in memory and keeps
// nothing between calls.
func WithCheckpointer(s saver.Saver) Option { return func(o *options) { o.saver = s } }

// WithRecursionLimit bounds how many supersteps one call runs before it stops
// with ErrRecursionLimit. Defaults to 25, as in LangGraph.
func WithRecursionLimit(n int) Option { return func(o *options) { o.limit = n } }

// WithName names the compiled graph. Defaults to "graph".
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithDurability sets when runs store their steps (see Durability).
// Defaults to DurabilityAsync, as in LangGraph; a call can override it by
// passing a Durability.
func WithDurability(d Durability) Option { return func(o *options) { o.durability = d } }

// WithInterruptBefore stops a run before any of the named nodes runs
// (LangGraph's interrupt_before): the step's checkpoint is saved, Next
// names the nodes, and Resume runs them.
func WithInterruptBefore(nodes ...string) Option {
	return func(o *options) { o.before = append(o.before, nodes...) }
}

// WithInterruptAfter stops a run after a step in which any of the named
// nodes ran (LangGraph's interrupt_after): the step's checkpoint is saved
// and Resume continues from it.
func WithInterruptAfter(nodes ...string) Option {
	return func(o *options) { o.after = append(o.after, nodes...) }
}

// DefaultRecursionLimit is the recursion limit of a graph compiled without
// WithRecursionLimit.
const DefaultRecursionLimit = 25

// Graph is a compiled graph. It is safe for concurrent use.
//
// Runs on one thread never interleave (LangGraph's "reject" strategy for
// double texting). On a saver.Committer, a run claims its thread with its
// first commit (a saver.LeaseOp), which sync and async runs make before any
// node runs and exit runs make at their end; it renews the claim with every
// commit, and from a timer while its nodes run long, and releases it with
// its last. A call on a thread another run holds fails, storing nothing,
// with an error matching saver.ErrConflict that errors.As gives as a
// *saver.BusyError; pass WaitIfBusy to wait for the thread instead. A run
// that crashed holds its thread until its lease lapses (WithRunLease). A
// run that stored some steps and then lost the thread (its lease lapsed and
// another run took it, or another writer moved it on) fails with a
// *ConflictError saying what it stored. Savers that are not
// saver.Committer get no lease ops: there, two calls on a thread race, and
// the loser's next commit fails with saver.ErrConflict.
type Graph[S any] struct {
	name      string
	schema    *schema
	nodes     map[string]NodeFunc[S]
	names     []string            // user nodes in the order they were added
	pullOrder []string            // START, then the user nodes sorted: the order prepare checks them
	edges     map[string][]string // static successors, START included
	joins     []joinSpec
	joinsFrom map[string][]joinSpec
	branches  map[string][]branch[S]
	triggers  map[string][]string // each node's trigger channels
	joinChans map[string]joinSpec
	saver     saver.Saver
	committer saver.Committer
	cached    saver.CachedGetter // set only with committer: see run.cached
	lease     time.Duration      // a run's claim on its thread (saver.Committer only)
	leases    leaseWaiters
	limit     int
	durable   Durability      // the default durability
	before    map[string]bool // static interrupts
	after     map[string]bool
	b         *StateGraph[S] // for drawing
	lists     listCache      // decoded list channels of recent threads
	// dispatcher hands runs to node runners (WithDispatcher, dispatch.go).
	dispatcher Dispatcher
}

// Compile checks the graph and returns it ready to run. The error names
// every problem found: bad state tags, unknown nodes, a missing entry,
// unreachable nodes.
func (g *StateGraph[S]) Compile(opts ...Option) (*Graph[S], error) {
	o := options{limit: DefaultRecursionLimit, name: "graph", durability: DurabilityAsync, lease: DefaultRunLease}
	for _, opt := range opts {
		opt(&o)
	}
	errs := slices.Clone(g.errs)
	sc, err := parseSchema(g.stateType(), g.reducers)
	if err != nil {
		errs = append(errs, err)
	}
	if o.lease < 0 {
		errs = append(errs, fmt.Errorf("run lease %v: must not be negative", o.lease))
	} else if o.lease == 0 {
		o.lease = DefaultRunLease
	}
	if o.limit < 1 {
		errs = append(errs, fmt.Errorf("recursion limit %d: must be at least 1", o.limit))
	}
	c := &Graph[S]{
		name: o.name, schema: sc, nodes: g.nodes, names: g.order,
		pullOrder: append([]string{START}, slices.Sorted(slices.Values(g.order))...),
		edges:     make(map[string][]string), joinsFrom: make(map[string][]joinSpec),
		branches: make(map[string][]branch[S]), triggers: make(map[string][]string),
		joinChans: make(map[string]joinSpec), saver: o.saver, limit: o.limit, joins: g.joins, b: g,
		durable: o.durability, before: map[string]bool{}, after: map[string]bool{}, lease: o.lease,
		dispatcher: o.dispatcher, // WithDispatcher (dispatch.go)
	}
	c.lists.maxThreads, c.lists.maxBytes = o.listThreads, o.listBytes // WithListCache (listcache.go)
	if err := o.durability.check(); err != nil {
		errs = append(errs, err)
	}
	for _, st := range []struct {
		what  string
		nodes []string
	}{{"interrupt before", o.before}, {"interrupt after", o.after}} {
		what, nodes := st.what, st.nodes
		for _, n := range nodes {
			if g.nodes[n] == nil {
				errs = append(errs, fmt.Errorf("%s: unknown node %q", what, n))
			}
		}
		if len(nodes) > 0 && o.saver == nil {
			errs = append(errs, fmt.Errorf("%s: %w (a run cannot be resumed without one)", what, ErrNoCheckpointer))
		}
	}
	for _, n := range o.before {
		c.before[n] = true
	}
	for _, n := range o.after {
		c.after[n] = true
	}
	c.committer, _ = o.saver.(saver.Committer)
	if c.committer != nil {
		c.cached, _ = o.saver.(saver.CachedGetter)
	}
	isNode := func(n string) bool { return g.nodes[n] != nil }
	checkFrom := func(what, from string) bool {
		if from == START || isNode(from) {
			return true
		}
		if from == END {
			errs = append(errs, fmt.Errorf("%s: cannot leave graph.END", what))
		} else {
			errs = append(errs, fmt.Errorf("%s: unknown node %q", what, from))
		}
		return false
	}
	checkTo := func(what, to string) bool {
		if to == END || isNode(to) {
			return true
		}
		if to == START {
			errs = append(errs, fmt.Errorf("%s: cannot lead to graph.START", what))
		} else {
			errs = append(errs, fmt.Errorf("%s: unknown node %q", what, to))
		}
		return false
	}
	for _, e := range g.edges {
		what := fmt.Sprintf("edge %s -> %s", e[0], e[1])
		if checkFrom(what, e[0]) && checkTo(what, e[1]) && !slices.Contains(c.edges[e[0]], e[1]) {
			c.edges[e[0]] = append(c.edges[e[0]], e[1])
		}
	}
	for _, j := range g.joins {
		what := fmt.Sprintf("join edge %v -> %s", j.from, j.to)
		ok := checkTo(what, j.to) && j.to != END
		for _, f := range j.from {
			ok = checkFrom(what, f) && ok
		}
		if ok {
			for _, f := range j.from {
				c.joinsFrom[f] = append(c.joinsFrom[f], j)
			}
			c.joinChans[j.channel] = j
		}
	}
	for _, b := range g.branches {
		what := fmt.Sprintf("conditional edges from %s", b.from)
		if checkFrom(what, b.from) {
			c.branches[b.from] = append(c.branches[b.from], b)
		}
		for _, to := range b.ends {
			checkTo(what, to)
		}
	}
	if len(g.nodes) == 0 {
		errs = append(errs, errors.New("graph has no nodes"))
	}
	if len(c.edges[START]) == 0 && len(c.branches[START]) == 0 {
		errs = append(errs, errors.New("graph has no entry: add an edge from graph.START"))
	} else if un := c.unreachable(); len(un) > 0 {
		errs = append(errs, fmt.Errorf("nodes not reachable from graph.START: %q", un))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile graph %q: %w", o.name, errors.Join(errs...))
	}
	c.triggers[START] = []string{START}
	for _, n := range g.order {
		c.triggers[n] = []string{branchChannel(n)}
	}
	for _, j := range g.joins {
		c.triggers[j.to] = append(c.triggers[j.to], j.channel)
	}
	return c, nil
}

// successors lists the nodes that may follow from, for reachability and
// drawing.
func (c *Graph[S]) successors(from string) []string {
	out := slices.Clone(c.edges[from])
	for _, j := range c.joinsFrom[from] {
		out = append(out, j.to)
	}
	for _, b := range c.branches[from] {
		if len(b.ends) == 0 {
			out = append(out, c.names...)
		}
		out = append(out, b.ends...)
	}
	return out
}

func (c *Graph[S]) unreachable() []string {
	seen := map[string]bool{START: true}
	queue := []string{START}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, s := range c.successors(n) {
			if !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
	}
	var out []string
	for _, n := range c.names {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// Name returns the graph's name.
func (c *Graph[S]) Name() string { return c.name }

func branchChannel(node string) string { return "branch:to:" + node }
