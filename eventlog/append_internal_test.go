package eventlog

import (
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/natsembed/natstest"
)

// A retried append whose first attempt landed without its ack is
// recognized by its message id on the subject's last message.
func TestLandedRecognizesAnEarlierAttempt(t *testing.T) {
	t.Parallel()
	_, js := natstest.Server(t)
	l, err := New(t.Context(), js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("p")
	seq, err := l.Append(t.Context(), "t", 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := l.Subject("t")
	if got, ok := l.landed(t.Context(), subj, MsgID("t", 0, payload)); !ok || got != seq {
		t.Fatalf("landed = %d, %v; want %d, true", got, ok, seq)
	}
	if _, ok := l.landed(t.Context(), subj, MsgID("t", 0, []byte("other"))); ok {
		t.Fatal("another append's id was taken for this one")
	}
	if !retryable(errTimeoutForTest()) {
		t.Fatal("a timeout is not retried")
	}
}

func errTimeoutForTest() error { return context.DeadlineExceeded }
