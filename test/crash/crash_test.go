package crash

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/pgtest"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/natsjs"
	"github.com/jetgraph/jetgraph/saver/open"
	"github.com/jetgraph/jetgraph/test/crash/workflow"
)

var (
	seedFlag  = flag.Uint64("crash.seed", 0, "seed of the kill schedule (0: from the clock; the seed used is printed)")
	killsFlag = flag.Int("crash.kills", 20, "kills per saver and durability mode")
)

// lease is the run lease the children take: short, so that a killed
// child's lease lapses quickly.
const lease = 300 * time.Millisecond

// answer is what the harness answers the workflow's interrupt with.
const answer = "approved-by-harness"

// store is one saver under test: the URL the children open.
type store struct {
	url string
}

// stores opens the saver named by kind for one test, with a fresh database.
var stores = map[string]func(t *testing.T) store{
	"natsjs": func(t *testing.T) store {
		srv, err := natsembed.Start(t.Context(), natsembed.Options{Dir: t.TempDir(), Listen: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Error(err)
			}
		})
		return store{url: srv.ClientURL()}
	},
	"sqlite": func(t *testing.T) store {
		return store{url: "sqlite://" + filepath.Join(t.TempDir(), "crash.db")}
	},
	"postgres": func(t *testing.T) store {
		u, err := url.Parse(pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("schema", pgtest.Schema(t))
		u.RawQuery = q.Encode()
		return store{url: u.String()}
	},
}

// reader is the harness's own view of a store, once the children are
// done: its event log, and the workflow compiled on it to read states.
type reader struct {
	events eventReader
	chain  *graph.Graph[workflow.State]
}

func openReader(t *testing.T, rawURL string) reader {
	s, err := open.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	var r reader
	switch l := s.(type) {
	case *natsjs.Saver:
		r.events = l.EventLog()
	case interface{ Log() eventstore.Log }:
		r.events = l.Log()
	default:
		t.Fatalf("saver %T: no event log", s)
	}
	if r.chain, err = workflow.Build(workflow.Options{}).Compile(graph.WithCheckpointer(s)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCrash builds the child once and runs the harness (recovery) and the
// harness's test of its own checks (checks_catch_faults) with it.
func TestCrash(t *testing.T) {
	bin := buildChild(t, t.TempDir())
	t.Run("recovery", func(t *testing.T) { testRecovery(t, bin) })
	t.Run("checks_catch_faults", func(t *testing.T) { testChecksCatchFaults(t, bin) })
}

// testRecovery runs the workflow on every saver in every durability mode,
// killing its workers at random, and checks the logs it leaves.
func testRecovery(t *testing.T, bin string) {
	t.Parallel()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("crash seed %d (replay with -crash.seed=%d)", seed, seed)
	fmt.Printf("crash-seed: %d (replay with -crash.seed=%d; -crash.kills=%d per saver and mode)\n", seed, seed, *killsFlag)
	for _, kind := range []string{"natsjs", "sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
				t.Run(string(mode), func(t *testing.T) {
					t.Parallel()
					h := &harness{
						t: t, bin: bin, kind: kind, mode: string(mode), dir: t.TempDir(),
						rng: rand.New(rand.NewPCG(seed, caseHash(kind, string(mode)))),
					}
					h.store = stores[kind](t)
					h.run(*killsFlag)
				})
			}
		})
	}
}

func caseHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// harness drives one saver and mode.
type harness struct {
	t          *testing.T
	bin        string
	kind, mode string
	dir        string
	rng        *rand.Rand
	store      store
	gen        int
	fault      string // passed to the children (see child/fault.go)
	// killGens are the generations of the children killed;
	// killsAfterStep counts those that had acknowledged a step.
	killGens       []int
	killsAfterStep int
	// startedBusy counts the children started while the last killed
	// one's lease was still live.
	startedBusy int
	// span is how long after "ready" (and after the last killed child's
	// lease lapsed) a kill may land: 1.2 times the longest child of the
	// reference run, so that kills land all along a run.
	span time.Duration
}

// maxChildren bounds the children one workflow may take.
const maxChildren = 300

func (h *harness) run(kills int) {
	t := h.t
	ref, _ := h.drive("reference", false)
	var runs []workflowRun
	var killed int
	for n := 1; killed < kills; n++ {
		w, k := h.drive(fmt.Sprintf("order-%d", n), true)
		runs = append(runs, w)
		killed += k
	}
	tl := h.check(ref, runs)
	h.logKills(runs, tl)
	fmt.Printf("crash-recovery: saver=%s mode=%s kills=%d completed=%d lost=%d duplicate_commits=%d reexecuted_recorded_tasks=%d\n",
		h.kind, h.mode, killed, len(runs), tl.lost, tl.duplicate, tl.reexecuted)
	for _, p := range tl.problems {
		t.Error(p)
	}
}

// logKills logs where the kills landed: after a stored step (sync mode
// acknowledges them) or after a side effect of the killed child.
func (h *harness) logKills(runs []workflowRun, tl tally) {
	killed := map[int]bool{}
	for _, g := range h.killGens {
		killed[g] = true
	}
	afterEffect := map[int]bool{}
	for _, w := range runs {
		for _, e := range w.effects {
			if killed[e.gen] {
				afterEffect[e.gen] = true
			}
		}
	}
	h.t.Logf("saver=%s mode=%s: of %d kills, %d came after the child acknowledged a step (sync only), %d after it ran a Task's side effect; %d children started while a killed one's lease was live; %d lease records in the logs; kill window %v",
		h.kind, h.mode, len(h.killGens), h.killsAfterStep, len(afterEffect), h.startedBusy, tl.leases, h.span.Round(time.Millisecond))
}

// check reads the logs and states of the reference run and of runs and
// verifies each run against the reference.
func (h *harness) check(ref workflowRun, runs []workflowRun) tally {
	t := h.t
	r := openReader(t, h.store.url)
	var tl tally
	load := func(w *workflowRun) {
		var err error
		if w.log, err = readLog(t.Context(), r.events, w.thread); err != nil {
			t.Fatal(err)
		}
		snap, err := r.chain.GetState(t.Context(), graph.Config{ThreadID: w.thread})
		if err != nil {
			t.Fatal(err)
		}
		w.stored = snap.Values
	}
	load(&ref)
	verify(&tl, ref, ref, h.mode == "sync")
	for _, w := range runs {
		load(&w)
		verify(&tl, w, ref, h.mode == "sync")
		tl.leases += w.log.leases
	}
	return tl
}

// drive runs a workflow on thread to its end, starting a child after each
// one that stopped; with kill, each child is killed at a random moment
// unless it ends first. It returns what it saw and the number of kills.
func (h *harness) drive(thread string, kill bool) (workflowRun, int) {
	t := h.t
	w := workflowRun{thread: thread}
	effects := filepath.Join(h.dir, thread+".effects")
	var kills int
	sawInterrupt := false
	// After a kill, the next child starts either at once, and waits in
	// WaitIfBusy until the killed child's lease lapses, or once it has
	// lapsed; either way the kill window opens when the thread is free.
	var leaseFree time.Time
	for range maxChildren {
		var wait time.Duration
		var killAfter func() time.Duration
		if kill {
			if time.Now().Before(leaseFree) {
				if h.rng.IntN(2) == 0 {
					time.Sleep(time.Until(leaseFree))
				} else {
					h.startedBusy++
				}
			}
			f := h.rng.Float64()
			killAfter = func() time.Duration {
				wait = max(0, time.Until(leaseFree))
				return wait + time.Duration(f*float64(h.span))
			}
		}
		h.gen++
		a := childArgs{bin: h.bin, url: h.store.url, durability: h.mode, thread: thread, effects: effects, gen: h.gen, lease: lease, fault: h.fault}
		if sawInterrupt {
			a.answer = answer
		}
		res, err := runChild(a, killAfter)
		if err != nil {
			if errors.Is(err, errChild) {
				t.Fatalf("%s %s thread %s child %d: %v", h.kind, h.mode, thread, h.gen, err)
			}
			t.Fatal(err)
		}
		for _, ln := range res.lines {
			if ln.Event == "step" {
				w.acked = append(w.acked, ln)
			}
		}
		if res.killed {
			leaseFree = time.Now().Add(lease)
			kills++
			h.killGens = append(h.killGens, h.gen)
			if slices.ContainsFunc(res.lines, func(ln Line) bool { return ln.Event == "step" }) {
				h.killsAfterStep++
			}
		} else if !kill {
			h.span = max(h.span, res.lifetime*6/5)
		}
		sawInterrupt = sawInterrupt || res.interrupted
		if res.done != nil {
			w.final = *res.done
			b, err := readFile(effects)
			if err != nil {
				t.Fatal(err)
			}
			if w.effects, err = parseEffects(b); err != nil {
				t.Fatal(err)
			}
			return w, kills
		}
	}
	t.Fatalf("%s %s thread %s: not done after %d children", h.kind, h.mode, thread, maxChildren)
	return w, kills
}
