// Package chaos runs threads through node-runner processes on a 3-node
// JetStream cluster (nats-server processes, streams and KV at 3 replicas)
// while it SIGKILLs runners, and one server at a time, at random moments;
// afterwards every thread must have finished correctly or resume to the
// correct end state.
//
//	go test ./test/chaos/ -v
//	go test ./test/chaos/ -v -chaos.duration=10m -chaos.seed=1234
//
// The test builds nats-server (the version go.mod names) and
// cmd/node-runner, starts the cluster and three runners, and for
// -chaos.duration starts threads of the runners' example graphs: the
// fan-out graph (three parallel branches and a join, several rounds) and
// the durable graph (its send node's side effect is a graph.Task). Meanwhile
// a chaos loop, driven by a random source seeded with -chaos.seed (printed),
// waits a random while and then either SIGKILLs a random runner and starts
// it again, or SIGKILLs a random server, waits, restarts it and waits until
// every server reports itself healthy, so that never two servers are down.
//
// A thread whose call failed or timed out is resumed once the chaos ends:
// with graph.Resume (and WaitIfBusy) if its input was stored, with its
// input again if not. Then each thread's event log is read record by record
// and checked (see checkLog): its final state must be a local run's; the
// checkpoints from the head back through their parents must carry the
// steps of a local run, each once (a missing step is lost); no checkpoint
// is put twice, no two loop (or input) checkpoints share a parent and step,
// and no task's node writes are stored twice on a checkpoint (duplicates);
// a graph.Task call has exactly one recorded outcome (a second is a side
// effect run again after its outcome was recorded). TestCheckerCatches
// feeds the checker fabricated logs with a lost step, a duplicated step
// and a task recorded twice, and requires it to count each.
//
// Besides, the runners' logs are searched: a task a runner dropped for good
// fails the test (nothing is deleted here), and checkpoint_not_found counts
// the times a runner's read did not find the checkpoint of a task it was
// handed (it runs the task again). With -chaos.dump=DIR, a thread that does
// not resume makes the test write each runner's log and goroutine stacks
// (SIGQUIT) to DIR.
//
// It prints one line:
//
//	chaos: duration=60s seed=S threads=N runner_kills=K server_kills=M finished=F resumed=R lost=0 duplicates=0 reexecuted_tasks=0 wrong=0 dropped_tasks=0 checkpoint_not_found=C
//
// At the default 60 s the package takes about two minutes with -race on a
// loaded 2-core machine (setup 15-35 s: two builds, the cluster, three
// runners; the chaos and the calls in flight about 75 s; resuming and
// checking about 10 s).
package chaos
