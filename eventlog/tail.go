package eventlog

import (
	"context"
	"fmt"
	"iter"
	"math"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
	"github.com/jetgraph/jetgraph/saver"
)

// Tail follows a thread live: it yields the events above after, then each
// new event as it is appended, until ctx ends (it then returns without an
// error) or yield returns false. It is meant for audit and monitoring.
// An after beyond the stream's last sequence waits for the stream to get
// there; math.MaxUint64, which nothing can follow, is an error matching
// saver.ErrInvalid.
func (l *Log) Tail(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		subj, err := l.Subject(thread)
		if err != nil {
			yield(event.Event{}, err)
			return
		}
		if after == math.MaxUint64 {
			yield(event.Event{}, saver.Invalid("tail after sequence", fmt.Sprintf("%d: no sequence follows it", after)))
			return
		}
		cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{subj},
			DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:    after + 1,
		})
		if err != nil {
			if ctx.Err() == nil {
				yield(event.Event{}, fmt.Errorf("tail %s: %w", subj, err))
			}
			return
		}
		msgs, err := cons.Messages()
		if err != nil {
			yield(event.Event{}, fmt.Errorf("tail %s: %w", subj, err))
			return
		}
		defer msgs.Stop()
		stop := context.AfterFunc(ctx, msgs.Stop)
		defer stop()
		for {
			m, err := msgs.Next()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				yield(event.Event{}, fmt.Errorf("tail %s: %w", subj, err))
				return
			}
			md, err := m.Metadata()
			if err != nil {
				yield(event.Event{}, fmt.Errorf("tail %s: %w", subj, err))
				return
			}
			l.read.Add(1)
			if !yield(event.Event{Seq: md.Sequence.Stream, Payload: m.Data()}, nil) {
				return
			}
		}
	}
}
