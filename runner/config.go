package runner

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// Config configures a Runner. JetStream, Saver and Graphs are required;
// every other field has a usable zero value.
type Config struct {
	// JetStream is the handle the task stream, the bindings bucket and the
	// outbox consumer are reached through. Required; the caller owns it.
	JetStream jetstream.JetStream
	// Saver is the JetStream saver the hosted graphs store checkpoints
	// in; its event stream is the outbox. Required.
	Saver *natsjs.Saver
	// Graphs are the graphs the runner hosts, by name. Required.
	Graphs []Graph
	// Concurrency bounds how many tasks run at once. Defaults to 8.
	Concurrency int
	// AckWait is how long a task may go without a sign of life from its
	// runner before the server delivers it again; a runner reports
	// progress every AckWait/3 while a node runs. Defaults to 30s.
	AckWait time.Duration
	// MaxDeliver is how many times a failing task runs before its failure
	// is recorded. Defaults to 5.
	MaxDeliver int
	// TaskTimeout bounds one run of a node: its context ends then, and a
	// node that returns on that counts as failed (and runs again, up to
	// MaxDeliver runs). Defaults to no bound.
	TaskTimeout time.Duration
	// RetryDelay is how long a failed task waits before its next run,
	// times the number of runs so far. Defaults to 200ms.
	RetryDelay time.Duration
	// Names of the JetStream objects; runners and dispatchers that work
	// together must agree on them. Zero values give the defaults.
	Names Names
	// Replicas is the replica count of the task stream and bindings
	// bucket. Defaults to 1.
	Replicas int
	// Logger receives the runner's structured logs. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Metrics receives the runner's counters. Defaults to none.
	Metrics *Metrics
}

// Names are the names of the JetStream objects runners and dispatchers
// share. The zero value gives the defaults.
type Names struct {
	// Stream is the work-queue stream of tasks. Defaults to
	// "JETGRAPH_TASKS".
	Stream string
	// Subject is the subject tasks are published on. Defaults to
	// "jetgraph.tasks.run".
	Subject string
	// Consumer is the durable consumer runners pull tasks from. Defaults
	// to "jetgraph-runners".
	Consumer string
	// Outbox is the durable consumer on the event stream. Defaults to
	// "jetgraph-runner-outbox".
	Outbox string
	// Bindings is the key-value bucket mapping threads to graph names.
	// Defaults to "JETGRAPH_RUNS".
	Bindings string
}

// ForTenant returns n with tenant's names in the fields n leaves empty:
// stream JETGRAPH_<tenant>_TASKS on subject
// jetgraph.tenant.<tenant>.tasks.run and bindings bucket
// JETGRAPH_<tenant>_RUNS (consumer names belong to their stream, so they
// keep the defaults). An empty tenant returns n unchanged. Runners and
// dispatchers apply it with their saver's tenant (natsjs.Config.Tenant),
// so only a saver's tenant needs setting.
func (n Names) ForTenant(tenant string) Names {
	if tenant == "" {
		return n
	}
	if n.Stream == "" {
		n.Stream = "JETGRAPH_" + tenant + "_TASKS"
	}
	if n.Subject == "" {
		n.Subject = eventlog.TenantSubjects(tenant) + ".tasks.run"
	}
	if n.Bindings == "" {
		n.Bindings = "JETGRAPH_" + tenant + "_RUNS"
	}
	return n
}

func (n Names) withDefaults() Names {
	if n.Stream == "" {
		n.Stream = "JETGRAPH_TASKS"
	}
	if n.Subject == "" {
		n.Subject = "jetgraph.tasks.run"
	}
	if n.Consumer == "" {
		n.Consumer = "jetgraph-runners"
	}
	if n.Outbox == "" {
		n.Outbox = "jetgraph-runner-outbox"
	}
	if n.Bindings == "" {
		n.Bindings = "JETGRAPH_RUNS"
	}
	return n
}

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 8
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 5
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 200 * time.Millisecond
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Saver != nil {
		c.Names = c.Names.ForTenant(c.Saver.Tenant())
	}
	c.Names = c.Names.withDefaults()
	return c
}

func (c Config) validate() error {
	switch {
	case c.JetStream == nil:
		return saver.Invalid("runner.Config.JetStream", "nil")
	case c.Saver == nil:
		return saver.Invalid("runner.Config.Saver", "nil")
	case len(c.Graphs) == 0:
		return saver.Invalid("runner.Config.Graphs", "empty")
	case c.Concurrency < 1:
		return saver.Invalid("runner.Config.Concurrency", fmt.Sprintf("%d: must be at least 1", c.Concurrency))
	case c.AckWait < 100*time.Millisecond:
		return saver.Invalid("runner.Config.AckWait", fmt.Sprintf("%v: must be at least 100ms", c.AckWait))
	case c.MaxDeliver < 1:
		return saver.Invalid("runner.Config.MaxDeliver", fmt.Sprintf("%d: must be at least 1", c.MaxDeliver))
	case c.RetryDelay < 0:
		return saver.Invalid("runner.Config.RetryDelay", "negative")
	case c.TaskTimeout < 0:
		return saver.Invalid("runner.Config.TaskTimeout", "negative")
	}
	seen := map[string]bool{}
	for i, g := range c.Graphs {
		if g == nil {
			return saver.Invalid(fmt.Sprintf("runner.Config.Graphs[%d]", i), "nil")
		}
		if seen[g.Name()] {
			return saver.Invalid(fmt.Sprintf("runner.Config.Graphs[%d]", i), fmt.Sprintf("two graphs named %q", g.Name()))
		}
		seen[g.Name()] = true
	}
	return nil
}
