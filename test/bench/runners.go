package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/internal/natsproc"
	"github.com/jetgraph/jetgraph/natsembed"
	"github.com/jetgraph/jetgraph/runner"
	"github.com/jetgraph/jetgraph/runner/examples"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// runnersRounds is how many fan-out rounds each thread of the runners
// phase makes: 1 + 3*rounds loop checkpoints a thread.
const runnersRounds = 2

// runnersPhase measures the distributed node runners: fan-out threads
// dispatched to 1, 2 and 3 node-runner processes on an embedded server
// listening on loopback, then the time from a runner's SIGKILL while it
// runs a task to that task's end on another runner.
func runnersPhase(ctx context.Context, o options, out *printer) (err error) {
	srv, err := natsembed.Start(ctx, natsembed.Options{Dir: filepath.Join(o.dir, "runners-nats"), Listen: true})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = errors.Join(err, srv.Shutdown(sctx))
	}()
	bin := filepath.Join(o.dir, "node-runner")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/node-runner").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/node-runner (run the bench from the repository root): %w\n%s", err, b)
	}
	js, nc, err := srv.JetStream()
	if err != nil {
		return err
	}
	defer nc.Close()
	s, err := natsjs.New(ctx, js, natsjs.Config{})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	d, err := runner.NewDispatcher(ctx, js, s, runner.Names{}, 1)
	if err != nil {
		return err
	}
	g, err := examples.FanOut(graph.WithCheckpointer(s), graph.WithDispatcher(d))
	if err != nil {
		return err
	}
	args := []string{"--nats", srv.ClientURL(), "--listen", "127.0.0.1:0", "--ack-wait", o.runnerAckWait.String(),
		"--retry-delay", "20ms"}
	var procs []*natsproc.Runner
	defer func() {
		for _, p := range procs {
			_ = p.Stop(15 * time.Second)
		}
	}()
	for n := 1; n <= 3; n++ {
		p, err := natsproc.StartRunner(ctx, bin, args...)
		if err != nil {
			return err
		}
		procs = append(procs, p)
		if err := runnersThroughput(ctx, g, n, o, out); err != nil {
			return fmt.Errorf("%d runners: %w", n, err)
		}
	}
	return runnerFailover(ctx, g, procs, o, out)
}

// runnersThroughput runs o.runnerThreads fan-out threads at once and prints
// committed loop checkpoints per second.
func runnersThroughput(ctx context.Context, g *graph.Graph[examples.FanState], n int, o options, out *printer) error {
	k := o.runnerThreads
	errs := make([]error, k)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range k {
		wg.Go(func() {
			_, errs[i] = g.Invoke(ctx, examples.FanState{Seed: i, Rounds: runnersRounds}, graph.Config{ThreadID: fmt.Sprintf("runners%d-%d", n, i)})
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	steps := 0
	for i := range k {
		for snap, err := range g.GetStateHistory(ctx, graph.Config{ThreadID: fmt.Sprintf("runners%d-%d", n, i)}, nil) {
			if err != nil {
				return err
			}
			if snap.Metadata.Source == saver.SourceLoop {
				steps++
			}
		}
	}
	if want := k * (1 + 3*runnersRounds); steps != want {
		return fmt.Errorf("%d loop checkpoints, want %d", steps, want)
	}
	out.printOrdered([]field{{"bench", "runners"}, {"runners", n}, {"threads", k},
		{"steps_per_s", round(float64(steps)/elapsed.Seconds(), 0)}})
	return nil
}

// runnerFailover starts one fan-out thread whose branches work 300 ms,
// SIGKILLs a runner once one of the branches has been running on it for
// 100 ms, and times how long after the kill the thread ends (the branch
// runs again on another runner once the ack wait passes, then merge).
func runnerFailover(ctx context.Context, g *graph.Graph[examples.FanState], procs []*natsproc.Runner, o options, out *printer) error {
	const work = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(ctx, o.runnerAckWait+30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	var doneAt time.Time
	go func() {
		_, err := g.Invoke(ctx, examples.FanState{Seed: 7, Work: int(work / time.Millisecond)}, graph.Config{ThreadID: "runner-failover"})
		doneAt = time.Now()
		done <- err
	}()
	var victim *natsproc.Runner
	for victim == nil {
		select {
		case err := <-done:
			return fmt.Errorf("the thread ended before a runner was seen running it: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		for _, p := range procs {
			if v, err := p.Metric(ctx, "jetgraph_runner_tasks_in_flight"); err == nil && v > 0 {
				// split and merge do not sleep: a task still in flight
				// 100 ms on is a branch.
				time.Sleep(100 * time.Millisecond)
				if v, err := p.Metric(ctx, "jetgraph_runner_tasks_in_flight"); err == nil && v > 0 {
					victim = p
				}
				break
			}
		}
	}
	killedAt := time.Now()
	if err := victim.Kill(); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return fmt.Errorf("the thread of the killed task: %w", err)
	}
	out.printOrdered([]field{{"bench", "runner_failover"}, {"ack_wait_ms", o.runnerAckWait.Milliseconds()},
		{"work_ms", work.Milliseconds()}, {"kill_to_done_ms", doneAt.Sub(killedAt).Milliseconds()}})
	return nil
}
