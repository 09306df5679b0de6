package projector

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Rebuild throws the bucket away and recreates it from the stream: it
// stops the projector, deletes its consumer and the bucket, folds the whole
// stream again, and returns once the projector has caught up. The projector
// keeps running afterwards.
func (p *Projector) Rebuild(ctx context.Context) error {
	if err := p.Stop(ctx); err != nil {
		return err
	}
	js := p.log.JetStream()
	if err := p.log.Stream().DeleteConsumer(ctx, p.cfg.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("projector: rebuild: delete consumer: %w", err)
	}
	if err := js.DeleteKeyValue(ctx, p.cfg.Bucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("projector: rebuild: delete bucket: %w", err)
	}
	// The bucket is addressed by name: the handles in p.snaps, and in the
	// savers that read it, work on the new bucket too.
	if _, err := OpenSnapshots(ctx, p.log, p.cfg); err != nil {
		return fmt.Errorf("projector: rebuild: %w", err)
	}
	p.mu.Lock()
	p.pos = 0
	p.mu.Unlock()
	p.threads = make(map[string]*projection)
	if err := p.Start(ctx); err != nil {
		return err
	}
	return p.CatchUp(ctx)
}
