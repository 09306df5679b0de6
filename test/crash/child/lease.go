package main

import (
	"time"

	"github.com/jetgraph/jetgraph/graph"
)

// Shim until the run-lease API (graph.WithRunLease, graph.WaitIfBusy)
// reaches this branch: no lease, no waiting. The harness starts a child
// only after the previous one was killed and reaped, so runs never
// overlap either way.

func leaseOptions(d time.Duration) []graph.Option { return nil }

func busyOptions() []graph.CallOption { return nil }
