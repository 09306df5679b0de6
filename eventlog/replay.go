package eventlog

import (
	"context"
	"fmt"

	"github.com/jetgraph/jetgraph/event"
)

// Replay folds the thread's events after base.Seq, up to and including
// sequence to, into base (a new, empty thread when base is nil) and returns
// it: the thread exactly as it was right after event to. A corrupt event is
// passed to onCorrupt, when not nil, and skipped, as every reader does.
func (l *Log) Replay(ctx context.Context, thread string, base *event.Thread, to uint64, onCorrupt func(error)) (*event.Thread, error) {
	if base == nil {
		base = event.NewThread(thread)
	}
	if base.Seq >= to {
		return base, nil
	}
	for ev, err := range l.ReadRange(ctx, thread, base.Seq+1, to) {
		if err != nil {
			return nil, fmt.Errorf("replay thread %q to %d: %w", thread, to, err)
		}
		if err := base.Apply(ev.Seq, ev.Payload); err != nil && onCorrupt != nil {
			onCorrupt(err)
		}
	}
	return base, nil
}
