package eventstore_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/memory"
)

// A log that cannot say when threads were appended to cannot expire them:
// the store says so and keeps them, rather than guessing.
func TestRetentionNeedsAnActivityLog(t *testing.T) {
	var logged bytes.Buffer
	plain := struct{ eventstore.Log }{memory.NewLog()} // only the Log methods
	s := eventstore.New(plain, eventstore.Options{
		Retention: eventstore.Retention{TTL: time.Millisecond},
		Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
	})
	defer s.Close(t.Context())
	if !strings.Contains(logged.String(), "retention disabled") {
		t.Fatalf("no error logged for a log without append times: %q", logged.String())
	}
	if n, err := s.Sweep(t.Context()); n != 0 || err != nil {
		t.Fatalf("sweep: %d, %v", n, err)
	}
}
