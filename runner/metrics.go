package runner

import "github.com/prometheus/client_golang/prometheus"

// Metrics are a runner's Prometheus metrics. Create them with NewMetrics.
type Metrics struct {
	// TasksStarted counts node runs started.
	TasksStarted prometheus.Counter
	// TasksFinished counts node runs whose writes (or interrupt) were stored.
	TasksFinished prometheus.Counter
	// TasksFailed counts tasks recorded as failed for good.
	TasksFailed prometheus.Counter
	// TasksRetried counts node runs that failed and were left to run again.
	TasksRetried prometheus.Counter
	// TasksRedelivered counts task deliveries after the first.
	TasksRedelivered prometheus.Counter
	// NodeSeconds observes how long nodes ran, by graph and node.
	NodeSeconds *prometheus.HistogramVec
	// StepsCommitted counts checkpoints this runner committed.
	StepsCommitted prometheus.Counter
	// Conflicts counts commits refused because another runner committed
	// the step first.
	Conflicts prometheus.Counter
	// InFlight is the number of tasks running now.
	InFlight prometheus.Gauge
	// OutboxEvents counts thread events the outbox consumer looked at.
	OutboxEvents prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg (none if nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "jetgraph", Subsystem: "runner", Name: name, Help: help})
	}
	m := &Metrics{
		TasksStarted:     c("tasks_started_total", "Node runs started."),
		TasksFinished:    c("tasks_finished_total", "Node runs whose writes were stored."),
		TasksFailed:      c("tasks_failed_total", "Tasks recorded as failed after their last delivery."),
		TasksRetried:     c("tasks_retried_total", "Node runs that failed and were left to run again."),
		TasksRedelivered: c("tasks_redelivered_total", "Task deliveries after the first."),
		NodeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "jetgraph", Subsystem: "runner", Name: "node_seconds",
			Help: "How long nodes ran.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"graph", "node"}),
		StepsCommitted: c("steps_committed_total", "Checkpoints committed by this runner."),
		Conflicts:      c("conflicts_total", "Step commits refused because another runner committed first."),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "jetgraph", Subsystem: "runner", Name: "tasks_in_flight", Help: "Tasks running now.",
		}),
		OutboxEvents: c("outbox_events_total", "Thread events the outbox consumer looked at."),
	}
	if reg != nil {
		reg.MustRegister(m.TasksStarted, m.TasksFinished, m.TasksFailed, m.TasksRetried, m.TasksRedelivered,
			m.NodeSeconds, m.StepsCommitted, m.Conflicts, m.InFlight, m.OutboxEvents)
	}
	return m
}
