package main

import (
	"time"

	"github.com/jetgraph/jetgraph/graph"
)

// leaseOptions makes runs hold their thread for d: a killed child's claim
// lapses d after its last renewal.
func leaseOptions(d time.Duration) []graph.Option {
	return []graph.Option{graph.WithRunLease(d)}
}

// busyOptions makes a call wait for a killed child's lease to lapse
// instead of failing with a *saver.BusyError.
func busyOptions() []graph.CallOption {
	return []graph.CallOption{graph.WaitIfBusy()}
}
