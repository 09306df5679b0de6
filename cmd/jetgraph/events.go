package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/audit"
	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// seqFlag is a flag holding an event sequence: a whole number from 0 (the
// flag's default) up. A negative or too large number is refused with a
// message that says so, not with strconv's.
type seqFlag uint64

// seqVar defines a sequence flag on cmd.
func seqVar(cmd *cobra.Command, p *uint64, name, usage string) {
	cmd.Flags().Var((*seqFlag)(p), name, usage)
}

// String implements pflag.Value.
func (f *seqFlag) String() string { return strconv.FormatUint(uint64(*f), 10) }

// Type implements pflag.Value.
func (f *seqFlag) Type() string { return "N" }

// Set implements pflag.Value.
func (f *seqFlag) Set(v string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	switch {
	case err == nil:
		*f = seqFlag(n)
		return nil
	case strings.HasPrefix(strings.TrimSpace(v), "-"):
		return fmt.Errorf("%s is negative: event sequences are numbers from 1 up", v)
	case errors.Is(err, strconv.ErrRange):
		return fmt.Errorf("%s is larger than any event sequence (at most %d)", v, uint64(math.MaxUint64))
	}
	return fmt.Errorf("%q is not an event sequence (a number from 1 up)", v)
}

// eventLine is one event in tail's and events' output.
type eventLine struct {
	Thread  string   `json:"thread"`
	Seq     uint64   `json:"seq"`
	Bytes   int      `json:"bytes"`
	Records []string `json:"records"`
}

func describeEvent(thread string, ev event.Event) eventLine {
	l := eventLine{Thread: thread, Seq: ev.Seq, Bytes: len(ev.Payload), Records: []string{}}
	recs, err := event.Decode(ev.Payload)
	if err != nil {
		l.Records = append(l.Records, "CORRUPT: "+err.Error())
	}
	for _, r := range recs {
		l.Records = append(l.Records, audit.Describe(r))
	}
	return l
}

// printEvent prints one event on one line, as text or as a JSON line.
func (a *app) printEvent(asJSON bool, l eventLine) error {
	if asJSON {
		return writeJSONLine(a, l)
	}
	_, err := fmt.Fprintf(a.stdout, "%s seq %d %d B: %s\n", l.Thread, l.Seq, l.Bytes, strings.Join(l.Records, "; "))
	return err
}

func (a *app) eventsCmd() *cobra.Command {
	var asJSON bool
	var from, to uint64
	cmd := &cobra.Command{
		Use:   "events THREAD [--from-seq N] [--to-seq M]",
		Short: "Print a range of a thread's stored events, one line each",
		Long: `events prints the thread's stored events with a sequence in [N, M], oldest
first, one line each: the sequence, the size and every record the event holds.
It needs a saver with an event log. --json prints one JSON object per line.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if to == 0 {
				to = math.MaxUint64
			}
			if from > to {
				return usagef("events: --from-seq %d is after --to-seq %d", from, to)
			}
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				log, err := logOf(se.s, "events")
				if err != nil {
					return err
				}
				thread := argv[0]
				if err := se.requireThread(ctx, thread); err != nil {
					return err
				}
				if last, err := log.LastSeq(ctx, thread); err != nil {
					return err
				} else if from > last {
					return fmt.Errorf("thread %q holds events up to sequence %d, not %d", thread, last, from)
				}
				return readEvents(ctx, log, thread, from, to, func(l eventLine) error { return a.printEvent(asJSON, l) })
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per event")
	seqVar(cmd, &from, "from-seq", "the first sequence (default: the first event)")
	seqVar(cmd, &to, "to-seq", "the last sequence (default: the newest event)")
	return cmd
}

func readEvents(ctx context.Context, log eventstore.Log, thread string, from, to uint64, emit func(eventLine) error) error {
	after := uint64(0)
	if from > 0 {
		after = from - 1
	}
	for ev, err := range log.Read(ctx, thread, after) {
		if err != nil {
			return err
		}
		if ev.Seq > to {
			return nil
		}
		if err := emit(describeEvent(thread, ev)); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) tailCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tail [THREAD]",
		Short: "Follow the live event stream, one line per event",
		Long: `tail prints each new event as it is appended, one line each, until
interrupted: the thread's, or every thread's without THREAD. It needs the
JetStream saver (--saver nats://... or --data DIR): the other savers have no
stream to follow. To see what other processes write, run "jetgraph serve" and
point every process at its URL: an embedded server on --data sees only the
events written through it. --json prints one JSON object per line. A line on stderr
says where it starts.`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.withSession(cmd, func(ctx context.Context, se *session) error {
				js, ok := se.s.(*natsjs.Saver)
				if !ok {
					return fmt.Errorf("tail needs the JetStream saver (nats://... or --data DIR); %T has no live stream", se.s)
				}
				emit := func(l eventLine) error { return a.printEvent(asJSON, l) }
				if len(argv) == 1 {
					thread := argv[0]
					last, err := js.EventLog().LastSeq(ctx, thread)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stderr, "tailing thread %s after sequence %d\n", thread, last)
					for ev, err := range js.Tail(ctx, thread, last) {
						if err != nil {
							return err
						}
						if err := emit(describeEvent(thread, ev)); err != nil {
							return err
						}
					}
					return nil
				}
				return tailAll(ctx, js, a.stderr, emit)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per event")
	return cmd
}

// tailAll follows every thread's new events until ctx ends.
func tailAll(ctx context.Context, s *natsjs.Saver, stderr io.Writer, emit func(eventLine) error) error {
	l := s.EventLog()
	info, err := l.Stream().Info(ctx)
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	last := info.State.LastSeq
	cons, err := l.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{l.Config().Prefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    last + 1,
	})
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	fmt.Fprintf(stderr, "tailing every thread after stream sequence %d\n", last)
	msgs, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	defer msgs.Stop()
	stop := context.AfterFunc(ctx, msgs.Stop)
	defer stop()
	for {
		m, err := msgs.Next()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		thread, err := l.Thread(m.Subject())
		if err != nil {
			continue // not a thread's event
		}
		if err := emit(describeEvent(thread, event.Event{Seq: md.Sequence.Stream, Payload: m.Data()})); err != nil {
			return err
		}
	}
}

func (a *app) auditCmd() *cobra.Command {
	var thread string
	cmd := &cobra.Command{
		Use:    "audit [--thread THREAD]",
		Short:  "List the threads' event counts, or print one thread's events and fold (old form of events)",
		Hidden: true,
		Args:   args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if a.saver == "memory" {
				return usagef("audit: a memory saver starts empty; name a durable saver")
			}
			se, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer se.close()
			log, err := logOf(se.s, "audit")
			if err != nil {
				return err
			}
			if thread == "" {
				return audit.Threads(ctx, a.stdout, log)
			}
			return audit.Thread(ctx, a.stdout, log, thread)
		},
	}
	cmd.Flags().StringVar(&thread, "thread", "", "the thread to replay; without it, list the threads")
	return cmd
}
