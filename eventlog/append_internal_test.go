package eventlog

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

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

// The fast reading of a plain ack gives what decoding it in full gives,
// and leaves every other answer to the full decoding.
func TestPubAckReadsPlainAcksAndDefersTheRest(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		data  string
		seq   uint64
		plain bool
		err   bool
	}{
		{`{"stream":"JETGRAPH","seq":42}`, 42, true, false},
		{`{"stream":"JETGRAPH","seq":7,"duplicate":true}`, 7, true, false},
		{`{"stream":"S","seq":18446744073709551615}`, 1<<64 - 1, true, false},
		{`{"stream":"JETGRAPH","domain":"hub","seq":9}`, 9, false, false},
		{`{"stream":"a\"b","seq":3}`, 3, false, false},
		{`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"},"stream":"JETGRAPH","seq":0}`, 0, false, true},
		{`{"stream":"JETGRAPH","seq":12`, 0, false, true},
		{`{"stream":"JETGRAPH","seq":}`, 0, false, true},
		{`{"stream":"","seq":1}`, 0, false, true},
		{`not json`, 0, false, true},
	} {
		seq, ok := plainPubAck([]byte(c.data))
		if ok != c.plain || ok && seq != c.seq {
			t.Errorf("plainPubAck(%s) = %d, %v; want %d, %v", c.data, seq, ok, c.seq, c.plain)
		}
		seq, err := pubAck([]byte(c.data))
		if (err != nil) != c.err || err == nil && seq != c.seq {
			t.Errorf("pubAck(%s) = %d, %v; want %d, error %v", c.data, seq, err, c.seq, c.err)
		}
	}
	_, err := pubAck([]byte(`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"},"stream":"JETGRAPH","seq":0}`))
	if !isWrongLastSequence(err) || actualSeq(err) != 5 {
		t.Fatalf("a refused append's ack: %v, want wrong last sequence 5", err)
	}
}

// A message id still in flight on a replicated stream (10158) is a reason
// to send the append again, not an error for the caller; a conflict is not.
func TestDuplicateInProcessIsRetriedNotAConflict(t *testing.T) {
	inProcess := fmt.Errorf("publish: %w", &jetstream.APIError{Code: 409, ErrorCode: 10158, Description: "duplicate message id is in process"})
	if !isDuplicateInProcess(inProcess) || isWrongLastSequence(inProcess) {
		t.Fatalf("10158 classified wrong: in process %v, wrong last sequence %v", isDuplicateInProcess(inProcess), isWrongLastSequence(inProcess))
	}
	conflict := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence, Description: "wrong last sequence: 7"}
	if isDuplicateInProcess(conflict) {
		t.Fatal("a wrong-last-sequence refusal taken for a message in process")
	}
}
