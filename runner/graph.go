package runner

import (
	"context"

	"github.com/jetgraph/jetgraph/graph"
)

// Graph is a compiled graph a Runner hosts: *graph.Graph[S] for any S
// implements it. Its checkpointer must be the JetStream saver the Runner
// is given (Config.Saver), or one on the same stream.
type Graph interface {
	// Name is the name runs are dispatched under (graph.WithName).
	Name() string
	// Status says where the run at a checkpoint stands.
	Status(ctx context.Context, cfg graph.Config) (graph.StepStatus, error)
	// RunTask runs one task of a checkpoint and stores its writes.
	RunTask(ctx context.Context, cfg graph.Config, taskID string) (graph.TaskResult, error)
	// FailTask records a task's failure for good.
	FailTask(ctx context.Context, cfg graph.Config, taskID, reason string) error
	// Advance commits the next step once every task has written.
	Advance(ctx context.Context, cfg graph.Config) (graph.StepStatus, error)
}

var _ Graph = (*graph.Graph[struct{}])(nil)
