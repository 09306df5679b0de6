package eventlog

import (
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
)

// batcher routes the replies of batched requests (several reply messages
// per request) to their callers over one long-lived wildcard subscription:
// subscribing per request would cost a protocol round of its own each time.
type batcher struct {
	nc     *nats.Conn
	prefix string

	mu      sync.Mutex
	next    uint64
	waiting map[string]chan *nats.Msg
}

func newBatcher(nc *nats.Conn) (*batcher, error) {
	b := &batcher{nc: nc, prefix: nc.NewInbox() + ".", waiting: make(map[string]chan *nats.Msg)}
	if _, err := nc.Subscribe(b.prefix+"*", b.deliver); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *batcher) deliver(m *nats.Msg) {
	b.mu.Lock()
	ch := b.waiting[m.Subject[len(b.prefix):]]
	b.mu.Unlock()
	if ch == nil {
		return // the caller gave up
	}
	select {
	case ch <- m:
	default: // more replies than a batch holds: the caller reads again
	}
}

// request publishes data to subj and returns the channel its replies
// arrive on, and a function to call when done with it.
func (b *batcher) request(subj string, data []byte) (<-chan *nats.Msg, func(), error) {
	ch := make(chan *nats.Msg, readBatch+2)
	b.mu.Lock()
	b.next++
	token := strconv.FormatUint(b.next, 36)
	b.waiting[token] = ch
	b.mu.Unlock()
	done := func() {
		b.mu.Lock()
		delete(b.waiting, token)
		b.mu.Unlock()
	}
	if err := b.nc.PublishRequest(subj, b.prefix+token, data); err != nil {
		done()
		return nil, nil, err
	}
	return ch, done, nil
}
