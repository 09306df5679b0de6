package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver/open"
	"github.com/jetgraph/jetgraph/test/crash/workflow"
)

// Line is one line the child prints: what happened, as JSON.
type Line struct {
	// Event is "ready" (the saver is open, the call starts), "step" (a
	// step was stored; sync mode only), "interrupted" or "done".
	Event string `json:"event"`
	// Step is the step of a "step" line.
	Step int `json:"step,omitempty"`
	// Call says what the child called: invoke, resume or resume_with.
	Call string `json:"call,omitempty"`
	// Nonces are the state's nonces after a "step".
	Nonces []string `json:"nonces,omitempty"`
	// Interrupt is the pending interrupt's value ("interrupted").
	Interrupt string `json:"interrupt,omitempty"`
	// State is the final state ("done").
	State *workflow.State `json:"state,omitempty"`
}

type config struct {
	url        string
	durability graph.Durability
	thread     string
	order      string
	effects    string
	gen        int
	answer     string
	lease      time.Duration
	maxDelay   time.Duration
	fault      string
}

func parse(args []string) (config, error) {
	var c config
	var durability string
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	fs.StringVar(&c.url, "saver", "", "saver URL (open.Open)")
	fs.StringVar(&durability, "durability", "sync", "durability mode: sync, async or exit")
	fs.StringVar(&c.thread, "thread", "", "thread id")
	fs.StringVar(&c.order, "order", "order-42", "the order id the workflow's input carries")
	fs.StringVar(&c.effects, "effects", "", "file the Task side effects are appended to")
	fs.IntVar(&c.gen, "gen", 0, "this child's generation, written with each side effect")
	fs.StringVar(&c.answer, "answer", "", "answer a pending interrupt with this value")
	fs.DurationVar(&c.lease, "lease", 300*time.Millisecond, "run lease length")
	fs.DurationVar(&c.maxDelay, "delay", 20*time.Millisecond, "longest random delay per node")
	fs.StringVar(&c.fault, "fault", "", "inject a fault the harness must catch (see fault.go)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := checkFault(c.fault); err != nil {
		return c, err
	}
	c.durability = graph.Durability(durability)
	switch {
	case c.url == "":
		return c, errors.New("-saver: empty")
	case c.thread == "":
		return c, errors.New("-thread: empty")
	case c.effects == "":
		return c, errors.New("-effects: empty")
	}
	return c, nil
}

// run opens the saver and moves the thread on as far as it can go: a new
// thread is invoked with the workflow's input, a thread waiting on the
// interrupt is answered when -answer is given, and any other thread is
// resumed. It prints a line per stored step (sync mode) and one for how
// the run ended.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	c, err := parse(args)
	if err != nil {
		return err
	}
	s, err := open.Open(ctx, c.url)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close(context.WithoutCancel(ctx))) }()
	g := workflow.Build(workflow.Options{Effects: c.effects, Gen: c.gen, MaxDelay: c.maxDelay, EffectOutsideTask: c.fault == faultEffectOutsideTask})
	opts := append([]graph.Option{graph.WithCheckpointer(s), graph.WithDurability(c.durability)}, leaseOptions(c.lease)...)
	chain, err := g.Compile(opts...)
	if err != nil {
		return err
	}
	cfg := graph.Config{ThreadID: c.thread}
	snap, err := chain.GetState(ctx, cfg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	var oc graph.Outcome
	callOpts := append([]graph.CallOption{graph.WithOutcome(&oc)}, busyOptions()...)

	var input *workflow.State
	call := "resume"
	switch {
	case snap.Config.CheckpointID == "":
		call = "invoke"
		input = &workflow.State{Order: c.order, Nonces: []string{"input:" + workflow.RandHex(6)}}
	case len(snap.Interrupts) > 0 && c.answer != "":
		call = "resume_with"
	}
	if err := enc.Encode(Line{Event: "ready", Call: call}); err != nil {
		return err
	}
	var out workflow.State
	switch {
	case call == "resume_with":
		out, err = chain.ResumeWith(ctx, cfg, c.answer, callOpts...)
	case c.durability == graph.DurabilitySync:
		// Stream, to acknowledge each step once it is stored.
		for part, perr := range chain.Stream(ctx, input, cfg, graph.StreamValues, callOpts...) {
			if perr != nil {
				return perr
			}
			if part.Interrupted {
				break
			}
			if err := enc.Encode(Line{Event: "step", Step: part.Step, Nonces: part.Values.Nonces}); err != nil {
				return err
			}
			if c.fault == faultUnstoredAck {
				bogus := append(slices.Clone(part.Values.Nonces), "unstored:"+workflow.RandHex(6))
				if err := enc.Encode(Line{Event: "step", Step: part.Step + 1, Nonces: bogus}); err != nil {
					return err
				}
			}
			out = part.Values
		}
	case input != nil:
		out, err = chain.Invoke(ctx, *input, cfg, callOpts...)
	default:
		out, err = chain.Resume(ctx, cfg, callOpts...)
	}
	if err != nil {
		return fmt.Errorf("%s thread %q: %w", call, c.thread, err)
	}
	if oc.Interrupted {
		var question string
		if len(oc.Interrupts) > 0 {
			question = fmt.Sprint(oc.Interrupts[0].Value)
		}
		return enc.Encode(Line{Event: "interrupted", Call: call, Interrupt: question})
	}
	if c.durability == graph.DurabilitySync && call != "resume_with" {
		// A stream's last part may be a step before END; read the result.
		snap, err := chain.GetState(ctx, cfg)
		if err != nil {
			return err
		}
		out = snap.Values
	}
	if c.fault == faultDuplicateWrites {
		if err := duplicateWrites(ctx, s, cfg); err != nil {
			return err
		}
	}
	return enc.Encode(Line{Event: "done", Call: call, State: &out})
}
