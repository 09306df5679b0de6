package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/event"
)

const (
	// readBatch is how many messages one batched read asks for.
	readBatch = 256
	// readBytes caps the bytes of one batched read, so that the client
	// never buffers more than this per request.
	readBytes = 16 << 20
)

// Read implements eventstore.Log: the thread's events above after, oldest
// first, up to the newest.
func (l *Log) Read(ctx context.Context, thread string, after uint64) iter.Seq2[event.Event, error] {
	return l.ReadRange(ctx, thread, after+1, math.MaxUint64)
}

// ReadRange yields the thread's events with a sequence in [from, to], oldest
// first. It stops early when yield returns false.
func (l *Log) ReadRange(ctx context.Context, thread string, from, to uint64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		subj, err := l.Subject(thread)
		if err != nil {
			yield(event.Event{}, err)
			return
		}
		if from == 0 {
			from = 1
		}
		if !l.stream.CachedInfo().Config.AllowDirect {
			l.readLeader(ctx, subj, from, to, yield)
			return
		}
		pages(ctx, subj, from, to, l.nextBatch, yield)
	}
}

// pages yields the events next returns, page after page, from from up to
// to, until next says there are no more or yield stops.
func pages(ctx context.Context, subj string, from, to uint64,
	next func(ctx context.Context, subj string, from uint64) ([]event.Event, bool, error),
	yield func(event.Event, error) bool) {
	for from <= to {
		evs, more, err := next(ctx, subj, from)
		if err != nil {
			yield(event.Event{}, fmt.Errorf("read %s from %d: %w", subj, from, err))
			return
		}
		for _, ev := range evs {
			if ev.Seq > to || !yield(ev, nil) {
				return
			}
			from = ev.Seq + 1
		}
		if !more || len(evs) == 0 {
			return
		}
	}
}

// orderedAbove is the span of stream sequences above which a read from the
// stream leader streams through an ordered consumer instead of asking for
// one message at a time.
const orderedAbove = 64

// orderedIdle is how long the server keeps a read's ordered consumer that
// its reader did not delete (it crashed).
const orderedIdle = 10 * time.Second

// readLeader reads from the stream leader, as replicated streams need: a
// short span one message per request, a long one through an ordered
// consumer.
func (l *Log) readLeader(ctx context.Context, subj string, from, to uint64, yield func(event.Event, error) bool) {
	last, err := l.lastSeqOf(ctx, subj)
	if err != nil {
		yield(event.Event{}, fmt.Errorf("read %s: %w", subj, err))
		return
	}
	to = min(to, last)
	if to < from {
		return
	}
	if to-from > orderedAbove {
		l.readOrdered(ctx, subj, from, to, yield)
		return
	}
	pages(ctx, subj, from, to, l.nextOne, yield)
}

// A read asks again when nobody answered, waiting a little longer each
// time, until the log's Timeout has passed since the first time: in a
// cluster, a consumer just created is known to the other servers a moment
// later (longer on a loaded machine), and nothing signals when.
const maxUnansweredWait = 250 * time.Millisecond

// unanswered counts a read's unanswered requests.
type unanswered struct {
	n     int
	first time.Time
}

// again waits before the next request and reports whether to send it:
// false once the log's Timeout has passed since the first unanswered one.
func (u *unanswered) again(ctx context.Context, timeout time.Duration) bool {
	if u.n == 0 {
		u.first = time.Now()
	} else if time.Since(u.first) >= timeout {
		return false
	}
	u.n++
	backoff(ctx, min(time.Duration(u.n)*10*time.Millisecond, maxUnansweredWait))
	return ctx.Err() == nil
}

// readOrdered streams [from, to] of subj through an ordered consumer.
func (l *Log) readOrdered(ctx context.Context, subj string, from, to uint64, yield func(event.Event, error) bool) {
	// Creating the consumer is a request like any other: bounded by
	// Timeout. Its answer can be lost when a server dies, and the caller's
	// context may have no deadline (a runner's task has minutes).
	var (
		cons jetstream.Consumer
		err  error
		miss unanswered
	)
	for {
		cctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
		cons, err = l.stream.OrderedConsumer(cctx, jetstream.OrderedConsumerConfig{
			FilterSubjects:    []string{subj},
			DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:       from,
			InactiveThreshold: orderedIdle,
		})
		cancel()
		if err == nil || !errors.Is(err, nats.ErrNoResponders) || !miss.again(ctx, l.cfg.Timeout) {
			break
		}
	}
	if err != nil {
		yield(event.Event{}, fmt.Errorf("read %s from %d: %w", subj, from, err))
		return
	}
	// The server caps a stream's consumers (1,000 by default) and would
	// keep this one until it is idle for InactiveThreshold: without the
	// delete, a thousand reads in that time make every further read fail.
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout)
			_ = l.stream.DeleteConsumer(dctx, info.Name)
			cancel()
		}
	}()
	miss = unanswered{}
	// askAgain reports whether a fetch that got nothing but err should be
	// sent again, after waiting a little: nobody answered yet.
	askAgain := func(err error) bool {
		return errors.Is(err, nats.ErrNoResponders) && miss.again(ctx, l.cfg.Timeout)
	}
	for {
		batch, err := cons.FetchNoWait(readBatch) // everything up to to is stored already
		if err != nil {
			if askAgain(err) {
				continue
			}
			yield(event.Event{}, fmt.Errorf("read %s from %d: %w", subj, from, err))
			return
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				yield(event.Event{}, fmt.Errorf("read %s: %w", subj, err))
				return
			}
			l.read.Add(1)
			seq := md.Sequence.Stream
			if seq > to || !yield(event.Event{Seq: seq, Payload: m.Data()}, nil) {
				return
			}
			from = seq + 1
			// to is a message of the subject (its newest when the read
			// began): the read ends there, never earlier on the server's
			// pending count, so a cut-short read is an error, not a
			// shorter log.
			if seq >= to {
				return
			}
		}
		if err := batch.Error(); err != nil {
			if n == 0 && askAgain(err) {
				continue
			}
			yield(event.Event{}, fmt.Errorf("read %s from %d: %w", subj, from, err))
			return
		}
		if err := ctx.Err(); err != nil {
			yield(event.Event{}, fmt.Errorf("read %s from %d: %w", subj, from, err))
			return
		}
		if n == 0 {
			// The subject's newest message is at to or later, so a fetch
			// from from that brings nothing was cut short (a server went
			// away mid-read, or the consumer is not known everywhere yet):
			// ask again a few times, then an error, never a shorter log.
			if miss.again(ctx, l.cfg.Timeout) {
				continue
			}
			yield(event.Event{}, fmt.Errorf("read %s from %d: nothing delivered before %d, the newest event", subj, from, to))
			return
		}
	}
}

// nextOne fetches the first message at or after from on subj, one request
// per message, served by the stream leader.
func (l *Log) nextOne(ctx context.Context, subj string, from uint64) ([]event.Event, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	m, err := l.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(subj))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	l.read.Add(1)
	return []event.Event{{Seq: m.Sequence, Payload: m.Data}}, true, nil
}

// directBatchRequest is the server's batched direct-get request.
type directBatchRequest struct {
	Seq      uint64 `json:"seq"`
	NextFor  string `json:"next_by_subj"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes"`
}

// nextBatch fetches up to readBatch messages at or after from on subj in
// one direct-get request. The server answers with the messages and an
// end-of-batch status saying how many remain.
func (l *Log) nextBatch(ctx context.Context, subj string, from uint64) ([]event.Event, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	req, err := json.Marshal(directBatchRequest{Seq: from, NextFor: subj, Batch: readBatch, MaxBytes: readBytes})
	if err != nil {
		return nil, false, err
	}
	mux, err := l.mux()
	if err != nil {
		return nil, false, err
	}
	replies, done, err := mux.request(l.api+"DIRECT.GET."+l.cfg.Stream, req, readBatch+2)
	if err != nil {
		return nil, false, err
	}
	defer done()
	var evs []event.Event
	for {
		var m *nats.Msg
		select {
		case m = <-replies:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "404":
			return evs, false, nil
		case "204": // end of batch
			pending, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
			return evs, pending > 0, nil
		default:
			return nil, false, fmt.Errorf("direct get: status %s %s", status, m.Header.Get("Description"))
		}
		seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("direct get: bad sequence header: %w", err)
		}
		l.read.Add(1)
		evs = append(evs, event.Event{Seq: seq, Payload: m.Data})
	}
}
