package eventlog

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// replies routes the replies of the log's requests (appends, one reply
// each, and batched reads, several) to their callers over one long-lived
// wildcard subscription. Subscribing per request would cost a protocol
// round of its own each time; and the connection's own request API routes
// every reply under the connection's lock, which the connection's flusher
// holds while it writes (on an in-process connection, until the server has
// read the whole write), so under many concurrent appends each reply
// waited behind every publish queued on that lock. Here a reply takes only
// the short lock of a map.
type replies struct {
	nc     *nats.Conn
	prefix string

	next    atomic.Uint64
	mu      sync.Mutex
	waiting map[string]chan *nats.Msg
}

func newReplies(nc *nats.Conn) (*replies, error) {
	r := &replies{nc: nc, prefix: nc.NewInbox() + ".", waiting: make(map[string]chan *nats.Msg)}
	if _, err := nc.Subscribe(r.prefix+"*", r.deliver); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *replies) deliver(m *nats.Msg) {
	r.mu.Lock()
	ch := r.waiting[m.Subject[len(r.prefix):]]
	r.mu.Unlock()
	if ch == nil {
		return // the caller gave up
	}
	select {
	case ch <- m:
	default: // more replies than the caller said it holds: it asks again
	}
}

// expect returns a reply subject of its own, the channel the replies to it
// arrive on (up to n buffered) and a function to call when done with it.
func (r *replies) expect(n int) (string, <-chan *nats.Msg, func()) {
	ch := make(chan *nats.Msg, n)
	token := strconv.FormatUint(r.next.Add(1), 36)
	r.mu.Lock()
	r.waiting[token] = ch
	r.mu.Unlock()
	return r.prefix + token, ch, func() {
		r.mu.Lock()
		delete(r.waiting, token)
		r.mu.Unlock()
	}
}

// request publishes data to subj and returns the channel its replies
// arrive on (up to n buffered), and a function to call when done with it.
func (r *replies) request(subj string, data []byte, n int) (<-chan *nats.Msg, func(), error) {
	reply, ch, done := r.expect(n)
	if err := r.nc.PublishRequest(subj, reply, data); err != nil {
		done()
		return nil, nil, err
	}
	return ch, done, nil
}

// sender publishes the log's appends, one goroutine at a time. Publishing
// takes the connection's lock, which its flusher holds while it writes (on
// an in-process connection, until the server has read the whole write): N
// goroutines publishing at once would all queue on that lock, in FIFO
// hand-off once it is contended, the flusher and every other user of the
// connection among them. Instead an append joins a queue under a lock held
// only to append to it; the caller that finds nobody publishing publishes
// the queue (its own append first, then what queued meanwhile), and
// everyone waits for their own ack. An append at a time publishes at once,
// in its caller's goroutine, with no hand-off.
type sender struct {
	nc *nats.Conn

	mu     sync.Mutex
	queue  []outgoing
	spare  []outgoing
	active bool // a goroutine is publishing the queue
}

// outgoing is one queued publish and where its error goes.
type outgoing struct {
	ctx context.Context
	msg *nats.Msg
	err chan<- error // buffered: the publisher never blocks on it
}

// maxRounds is how many times the caller that publishes goes back for what
// queued while it published, before it leaves the rest to a goroutine of
// its own, so that a caller's append is never held up for long by others.
const maxRounds = 2

// send queues msg; a publish error, or ctx's if it ended before msg was
// published (it then is not), is sent on err.
func (s *sender) send(ctx context.Context, msg *nats.Msg, err chan<- error) {
	s.mu.Lock()
	s.queue = append(s.queue, outgoing{ctx, msg, err})
	if s.active {
		s.mu.Unlock()
		return
	}
	s.active = true
	s.drain(maxRounds) // unlocks
}

// drain publishes the queue, rounds times at most (0: until it is empty),
// then hands the rest to a goroutine. s.mu must be held and s.active set;
// drain unlocks s.mu.
func (s *sender) drain(rounds int) {
	for round := 1; len(s.queue) > 0; round++ {
		if rounds > 0 && round > rounds {
			go func() {
				s.mu.Lock()
				s.drain(0)
			}()
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.mu.Unlock()
		for i, o := range batch {
			if err := o.ctx.Err(); err != nil {
				o.err <- err
			} else if err := s.nc.PublishMsg(o.msg); err != nil {
				o.err <- err
			}
			batch[i] = outgoing{}
		}
		s.mu.Lock()
		s.spare = batch[:0]
	}
	s.active = false
	s.mu.Unlock()
}
