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
	err := base.Fold(l.ReadRange(ctx, thread, base.Seq+1, to), event.FoldOptions{To: to, OnCorrupt: func(err *event.DecodeError) {
		if onCorrupt != nil {
			onCorrupt(err)
		}
	}})
	if err != nil {
		return nil, fmt.Errorf("replay thread %q to %d: %w", thread, to, err)
	}
	return base, nil
}
