package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// callTimeout bounds one call of a thread during the chaos; a call that
// runs out is resumed afterwards.
const callTimeout = 20 * time.Second

// thread is one thread of the workload and what became of it.
type thread struct {
	id      string
	durable bool              // the durable graph; else fan-out
	fan     examples.FanState // fan-out input
	to      string            // durable input
	err     error             // the call's error during the chaos
	got     any               // the final state
	resumed bool              // finished after the chaos
}

// client holds the graphs that dispatch to the runners.
type client struct {
	fan     *graph.Graph[examples.FanState]
	durable *graph.Graph[examples.DurableState]
	log     *eventlog.Log
	js      jetstream.JetStream
}

// taskQueue describes the runners' task stream and consumer, and the
// task messages of thread it still holds, for a thread that did not
// resume.
func (c *client) taskQueue(ctx context.Context, thread string) string {
	st, err := c.js.Stream(ctx, "JETGRAPH_TASKS")
	if err != nil {
		return err.Error()
	}
	si, err := st.Info(ctx)
	if err != nil {
		return err.Error()
	}
	out := fmt.Sprintf("task stream: %d messages, first %d, last %d", si.State.Msgs, si.State.FirstSeq, si.State.LastSeq)
	if cons, err := st.Consumer(ctx, "jetgraph-runners"); err == nil {
		if ci, err := cons.Info(ctx); err == nil {
			out += fmt.Sprintf("; consumer: pending %d, ack pending %d, redelivered %d, delivered %d, ack floor %d",
				ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.Delivered.Stream, ci.AckFloor.Stream)
		}
	}
	for seq := si.State.FirstSeq; seq <= si.State.LastSeq && seq < si.State.FirstSeq+5000; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err == nil && strings.Contains(string(m.Data), `"`+thread+`"`) {
			out += fmt.Sprintf("\n  seq %d: %s", seq, m.Data)
		}
	}
	return out
}

func newClient(t *testing.T, url string) *client {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cfg := natsjs.Config{}
	cfg.Log.Replicas = 3
	cfg.Log.Timeout = 2 * time.Second
	s, err := natsjs.New(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{log: s.EventLog(), js: js}
	if c.fan, err = examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d)); err != nil {
		t.Fatal(err)
	}
	if c.durable, err = examples.Durable(graph.WithCheckpointer(s), graph.WithDispatcher(d)); err != nil {
		t.Fatal(err)
	}
	return c
}

// call runs th's input (resume false) or resumes it; it stores the final
// state in th.got.
func (c *client) call(ctx context.Context, th *thread, resume bool) error {
	cfg := graph.Config{ThreadID: th.id}
	var err error
	if th.durable {
		var s examples.DurableState
		if resume {
			s, err = c.durable.Resume(ctx, cfg, graph.WaitIfBusy())
		} else {
			s, err = c.durable.Invoke(ctx, examples.DurableState{To: th.to}, cfg, graph.WaitIfBusy())
		}
		th.got = s
	} else {
		var s examples.FanState
		if resume {
			s, err = c.fan.Resume(ctx, cfg, graph.WaitIfBusy())
		} else {
			s, err = c.fan.Invoke(ctx, th.fan, cfg, graph.WaitIfBusy())
		}
		th.got = s
	}
	return err
}

// stored reports whether the thread has a checkpoint (its input was
// stored).
func (c *client) stored(ctx context.Context, th *thread) (bool, error) {
	cfg := graph.Config{ThreadID: th.id}
	if th.durable {
		snap, err := c.durable.GetState(ctx, cfg)
		return snap.Config.CheckpointID != "", err
	}
	snap, err := c.fan.GetState(ctx, cfg)
	return snap.Config.CheckpointID != "", err
}

// reference is a local run of the thread's input on a memory saver: its
// final state and the steps of the checkpoints on its line.
type reference struct {
	state any
	steps []int
}

func localRun[S any](ctx context.Context, g *graph.Graph[S], in S) (reference, error) {
	out, err := g.Invoke(ctx, in, graph.Config{ThreadID: "local"})
	if err != nil {
		return reference{}, err
	}
	var steps []int
	for snap, err := range g.GetStateHistory(ctx, graph.Config{ThreadID: "local"}, nil) {
		if err != nil {
			return reference{}, err
		}
		steps = append([]int{snap.Metadata.Step}, steps...)
	}
	return reference{state: out, steps: steps}, nil
}

func (th *thread) reference(ctx context.Context) (reference, error) {
	if th.durable {
		g, err := examples.Durable(graph.WithCheckpointer(memory.New()))
		if err != nil {
			return reference{}, err
		}
		return localRun(ctx, g, examples.DurableState{To: th.to})
	}
	g, err := examples.FanOut(graph.WithCheckpointer(memory.New()))
	if err != nil {
		return reference{}, err
	}
	return localRun(ctx, g, th.fan)
}

// TestChaosUnderLoad: threads run through node runners while runners and
// servers are SIGKILLed at random; every thread ends in a local run's
// state, with no step lost or duplicated and no Task outcome recorded
// twice. See the package documentation.
func TestChaosUnderLoad(t *testing.T) {
	s := *seed
	if s == 0 {
		s = time.Now().UnixNano()
	}
	fmt.Printf("chaos: seed=%d (rerun with -chaos.seed=%d)\n", s, s)
	t.Logf("seed %d", s)
	rng := rand.New(rand.NewPCG(uint64(s), 0x9e3779b97f4a7c15))
	inputs := rand.New(rand.NewPCG(uint64(s), 1))

	began := time.Now()
	nodes := natsproc.Start(t, 3)
	url := natsproc.URLs(nodes)
	c := newClient(t, url) // creates the streams and buckets at 3 replicas
	args := []string{"--nats", url, "--listen", "", "--log-level", "info",
		"--replicas", "3", "--log-replicas", "3", "--concurrency", "8",
		"--ack-wait", "2s", "--max-deliver", "50", "--retry-delay", "50ms", "--drain-timeout", "5s",
		// The example nodes take microseconds: a run still going after
		// 15 s is stuck (a read whose server was killed under it), and
		// its task should go to another run before the resumes give up.
		"--task-timeout", "15s"}
	runners := make([]*natsproc.Runner, 3)
	var allRunners []*natsproc.Runner // every process started, for their logs
	for i := range runners {
		runners[i] = startRunner(t, args)
		allRunners = append(allRunners, runners[i])
	}

	t.Logf("setup (builds, cluster, runners) took %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()

	// The workload: workers start threads until the chaos ends.
	chaosCtx, stopChaos := context.WithTimeout(t.Context(), *duration)
	var (
		mu      sync.Mutex
		threads []*thread
		wg      sync.WaitGroup
		next    atomic.Int64
	)
	defer func() { // also when the test fails: no call outlives it
		stopChaos()
		wg.Wait()
	}()
	inputsMu := sync.Mutex{}
	for range *workers {
		wg.Go(func() {
			for chaosCtx.Err() == nil {
				i := next.Add(1) - 1
				inputsMu.Lock()
				th := &thread{id: fmt.Sprintf("chaos-%d", i), durable: i%3 == 2}
				if th.durable {
					th.to = fmt.Sprintf("customer-%d", inputs.IntN(1_000_000))
				} else {
					th.fan = examples.FanState{Seed: inputs.IntN(1000), Rounds: 1 + inputs.IntN(3), Work: inputs.IntN(20)}
				}
				inputsMu.Unlock()
				ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
				th.err = c.call(ctx, th, false)
				cancel()
				mu.Lock()
				threads = append(threads, th)
				mu.Unlock()
			}
		})
	}

	// The chaos: one fault at a time, at random moments.
	var runnerKills, serverKills int
	pause := func(lo, hi time.Duration) bool {
		timer := time.NewTimer(lo + time.Duration(rng.Int64N(int64(hi-lo))))
		defer timer.Stop()
		select {
		case <-timer.C:
			return true
		case <-chaosCtx.Done():
			return false
		}
	}
	for pause(300*time.Millisecond, 2*time.Second) {
		if rng.IntN(3) == 0 {
			victim := nodes[rng.IntN(len(nodes))]
			down := 500*time.Millisecond + time.Duration(rng.Int64N(int64(2500*time.Millisecond)))
			t.Logf("chaos: SIGKILL server %s for %v", victim.Name, down.Round(time.Millisecond))
			victim.Kill()
			serverKills++
			timer := time.NewTimer(down) // the server stays down a while, even if the chaos ends
			<-timer.C
			hctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
			victim.Restart(hctx)
			for _, nd := range nodes {
				nd.WaitHealthy(hctx)
			}
			cancel()
			continue
		}
		i := rng.IntN(len(runners))
		t.Logf("chaos: SIGKILL runner %d (pid %d)", i, runners[i].Pid())
		if err := runners[i].Kill(); err != nil {
			t.Fatal(err)
		}
		runnerKills++
		if rng.IntN(2) == 0 { // sometimes the runner stays away a while
			timer := time.NewTimer(100*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second))))
			<-timer.C
		}
		runners[i] = startRunner(t, args)
		allRunners = append(allRunners, runners[i])
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()

	t.Logf("the chaos and the calls in flight took %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()

	// Every thread whose call failed resumes, now that all servers and
	// runners are up: with Resume if its input was stored, with its input
	// if not. A thread gets three tries, each bounded by callTimeout.
	var finished, resumed, failed int
	var pending []*thread
	for _, th := range threads {
		if th.err == nil {
			finished++
			continue
		}
		t.Logf("thread %s: %v; resuming", th.id, th.err)
		pending = append(pending, th)
	}
	var rmu sync.Mutex
	sem := make(chan struct{}, *workers)
	for _, th := range pending {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			for attempt := range 3 {
				ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
				var has bool
				if has, err = c.stored(ctx, th); err == nil {
					err = c.call(ctx, th, has)
				}
				cancel()
				if err == nil {
					break
				}
				t.Logf("thread %s: resume attempt %d: %v", th.id, attempt+1, err)
			}
			rmu.Lock()
			defer rmu.Unlock()
			if err != nil {
				failed++
				t.Errorf("thread %s does not resume: %v (during the chaos: %v)", th.id, err, th.err)
				t.Logf("thread %s: %s", th.id, c.taskQueue(t.Context(), th.id))
				for _, p := range allRunners {
					for _, l := range p.Problems(`"` + th.id + `"`) {
						t.Logf("runner %d: %s", p.Pid(), l)
					}
				}
				return
			}
			th.resumed = true
			resumed++
		})
	}
	wg.Wait()
	if failed > 0 && *dumpDir != "" {
		for _, p := range runners {
			path := filepath.Join(*dumpDir, fmt.Sprintf("node-runner-%d.log", p.Pid()))
			if err := p.Dump(path); err != nil {
				t.Logf("dump runner %d: %v", p.Pid(), err)
			} else {
				t.Logf("runner %d: log and stacks in %s", p.Pid(), path)
			}
		}
	}
	t.Logf("resuming took %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()

	// Check every thread's final state and log.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var total verdict
	wrong := 0
	selfChecked := false
	for _, th := range threads {
		ref, err := th.reference(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if th.err == nil || th.resumed {
			if !reflect.DeepEqual(th.got, ref.state) {
				wrong++
				t.Errorf("thread %s ended in %+v, a local run in %+v", th.id, th.got, ref.state)
			}
		}
		var evs []event.Event
		for ev, err := range c.log.Read(ctx, th.id, 0) {
			if err != nil {
				t.Fatalf("read thread %s: %v", th.id, err)
			}
			evs = append(evs, ev)
		}
		task := ""
		if th.durable {
			task = "send_email"
		}
		if th.err != nil && !th.resumed {
			t.Logf("thread %s's log:\n%s", th.id, describeLog(evs))
		}
		if !selfChecked && th.err == nil && !th.durable && len(evs) > 2 {
			selfChecked = true
			checkTheChecker(t, th.id, evs, ref.steps)
		}
		v := checkLog(th.id, evs, ref.steps, task)
		for _, p := range v.problems {
			t.Error(p)
		}
		total.add(v)
	}
	t.Logf("checking took %v", time.Since(began).Round(time.Millisecond))
	// What the runners logged: a checkpoint their read did not find (they
	// run the task again), and tasks they dropped for good (none should
	// be: no thread is deleted here).
	var notFound, dropped int
	for _, p := range allRunners {
		notFound += len(p.Problems(`"msg":"checkpoint not found; the task runs again"`))
		dropped += len(p.Problems(`"msg":"dropping task"`))
	}
	line := fmt.Sprintf("chaos: duration=%gs seed=%d threads=%d runner_kills=%d server_kills=%d finished=%d resumed=%d lost=%d duplicates=%d reexecuted_tasks=%d wrong=%d dropped_tasks=%d checkpoint_not_found=%d",
		duration.Seconds(), s, len(threads), runnerKills, serverKills, finished, resumed, total.lost, total.duplicates, total.reexecuted, wrong, dropped, notFound)
	fmt.Println(line)
	t.Log(line)
	switch {
	case total.lost != 0 || total.duplicates != 0 || total.reexecuted != 0 || wrong != 0 || failed != 0 || dropped != 0 || len(total.problems) != 0:
		t.Fatalf("%s failed=%d problems=%d", line, failed, len(total.problems))
	case finished+resumed != len(threads):
		t.Fatalf("%s: %d threads neither finished nor resumed", line, len(threads)-finished-resumed)
	case !selfChecked:
		t.Fatalf("%s: no fan-out thread finished during the chaos to check the checker on", line)
	case len(threads) == 0 || runnerKills == 0 || serverKills == 0:
		t.Fatalf("%s: the chaos did not both run threads and kill runners and servers; run longer (-chaos.duration)", line)
	}
}

// checkTheChecker runs checkLog on a real thread's log with faults put in
// (its last event dropped, one of its checkpoint events stored again) and
// fails unless it counts them: the zeros of the run mean something only if
// the same checks see faults in logs like these.
func checkTheChecker(t *testing.T, thread string, evs []event.Event, steps []int) {
	t.Helper()
	if v := checkLog(thread, evs, steps, ""); v.lost+v.duplicates != 0 {
		t.Fatalf("thread %s: the unaltered log already counts lost=%d duplicates=%d", thread, v.lost, v.duplicates)
	}
	var withCheckpoint []int // indexes of the events that put a checkpoint
	for i, ev := range evs {
		recs, err := event.Decode(ev.Payload)
		if err == nil && slices.ContainsFunc(recs, func(r event.Record) bool { return r.Kind == event.KindCheckpoint }) {
			withCheckpoint = append(withCheckpoint, i)
		}
	}
	if len(withCheckpoint) < 2 {
		t.Fatalf("thread %s: %d events put checkpoints", thread, len(withCheckpoint))
	}
	last, first := withCheckpoint[len(withCheckpoint)-1], withCheckpoint[0]
	dropped := slices.Delete(slices.Clone(evs), last, last+1)
	if v := checkLog(thread, dropped, steps, ""); v.lost == 0 {
		t.Errorf("thread %s: with event %d (the last step) dropped, the checker counts nothing lost: %+v", thread, evs[last].Seq, v)
	}
	again := append(slices.Clone(evs), event.Event{Seq: evs[len(evs)-1].Seq + 1, Payload: evs[first].Payload})
	if v := checkLog(thread, again, steps, ""); v.duplicates == 0 {
		t.Errorf("thread %s: with event %d stored again, the checker counts no duplicate: %+v", thread, evs[first].Seq, v)
	}
	t.Logf("checker self-check on thread %s: event %d dropped, event %d stored again: both counted", thread, evs[last].Seq, evs[first].Seq)
}
