package eventlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/saver"
)

// headerAllowance is what the headers of an append take at most on the
// wire: Nats-Msg-Id, Nats-Expected-Last-Subject-Sequence and the
// ThreadHeader, whose value is at most three bytes per byte of the longest
// thread id.
const headerAllowance = 512 + 3*saver.MaxThreadIDBytes

const (
	// maxAttempts bounds how often an append is sent when no answer came
	// back.
	maxAttempts = 4
	// maxBusyAttempts bounds how often an append is sent while a replicated
	// stream is still applying the subject's previous append.
	maxBusyAttempts = 10
)

// TooLargeError reports an event larger than the server accepts. It
// unwraps to saver.ErrTooLarge.
type TooLargeError struct {
	Thread string
	Size   int   // bytes of the event
	Max    int64 // the server's max payload, less room for headers
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("append to thread %q: event of %d bytes exceeds the %d the server accepts: %v", e.Thread, e.Size, e.Max, saver.ErrTooLarge)
}

// Unwrap returns saver.ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return saver.ErrTooLarge }

// MaxAppendBytes implements eventstore.AppendLimiter: the server's max
// payload less room for the headers of an append.
func (l *Log) MaxAppendBytes() int { return int(l.serverMaxPayload(false) - headerAllowance) }

// maxPayloadTTL is how long a max payload read from the connection is
// used before it is read again (a reconnect may reach a server with
// another): reading it takes the connection's lock, which is contended
// under many concurrent appends.
const maxPayloadTTL = time.Second

// serverMaxPayload returns the connection's max payload, cached for
// maxPayloadTTL unless fresh.
func (l *Log) serverMaxPayload(fresh bool) int64 {
	now := time.Now().UnixNano()
	if v := l.maxPayload.Load(); !fresh && v > 0 && now-l.maxPayloadAt.Load() < int64(maxPayloadTTL) {
		return v
	}
	v := l.nc.MaxPayload()
	l.maxPayload.Store(v)
	l.maxPayloadAt.Store(now)
	return v
}

// MsgID is the Nats-Msg-Id of an append: a hash of the thread, the sequence
// it expects and the payload. A retried append has the same id and is
// stored once; a different append at the same position has another.
func MsgID(thread string, expect uint64, payload []byte) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(thread)))
	h.Write(n[:])
	h.Write([]byte(thread))
	binary.BigEndian.PutUint64(n[:], expect)
	h.Write(n[:])
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Append implements eventstore.Log: it publishes payload as one message
// on the thread's subject if the subject's last sequence is still expect,
// and returns the new message's sequence. A moved-on thread is a
// *saver.ConflictError and nothing is stored. A payload above the server's
// max payload is a *TooLargeError, found before anything is sent.
//
// When no answer comes back (a timeout, a leader election) the same message
// is sent again: its id and expected sequence make that safe, and an
// append that did land the first time is recognized by its id.
func (l *Log) Append(ctx context.Context, thread string, expect uint64, payload []byte) (uint64, error) {
	subj, err := l.Subject(thread)
	if err != nil {
		return 0, err
	}
	tooLarge := func() error {
		return &TooLargeError{Thread: thread, Size: len(payload), Max: l.serverMaxPayload(true) - headerAllowance}
	}
	if len(payload) > l.MaxAppendBytes() && int64(len(payload)) > l.serverMaxPayload(true)-headerAllowance {
		return 0, tooLarge()
	}
	id := MsgID(thread, expect, payload)
	msg := &nats.Msg{Subject: subj, Data: payload, Header: nats.Header{
		ThreadHeader:                        []string{escape(thread)},
		jetstream.ExpectedLastSubjSeqHeader: []string{strconv.FormatUint(expect, 10)},
		jetstream.MsgIDHeader:               []string{id},
	}}
	for attempt := 1; ; attempt++ {
		seq, err := l.publish(ctx, msg)
		switch {
		case err == nil:
			return seq, nil
		case errors.Is(err, nats.ErrMaxPayload):
			// The connection's server takes less than the cached max said
			// (a reconnect): nothing was sent.
			return 0, tooLarge()
		case isWrongLastSequence(err):
			if attempt > 1 {
				// An earlier attempt may have landed without its ack.
				if seq, ok := l.landed(ctx, subj, id); ok {
					return seq, nil
				}
			}
			actual := actualSeq(err)
			if isBusy(err) {
				// A replicated stream also refuses while an earlier append
				// to the subject is still being applied: if the subject is
				// where we expect it, the refusal was not a conflict.
				last, lerr := l.lastSeqOf(ctx, subj)
				if lerr == nil && last == expect && attempt < maxBusyAttempts {
					backoff(ctx, time.Duration(attempt)*time.Millisecond)
					continue
				}
				actual = last
			}
			return 0, &saver.ConflictError{ThreadID: thread, Reason: "another append came first", Expected: expect, Actual: actual}
		case isDuplicateInProcess(err) && attempt < maxBusyAttempts && ctx.Err() == nil:
			// A replicated stream is still applying an earlier attempt of
			// this very append: once it has, sending it again gets that
			// attempt's ack (same message id) or a conflict we check above.
			backoff(ctx, time.Duration(attempt)*time.Millisecond)
			continue
		case retryable(err) && attempt < maxAttempts && ctx.Err() == nil:
			backoff(ctx, time.Duration(attempt)*100*time.Millisecond)
			continue
		}
		return 0, fmt.Errorf("append to thread %q after %d: %w", thread, expect, Refused(l.nc, err, subj))
	}
}

// backoff waits d or until ctx ends. Nothing signals that a leader is back
// or that an earlier append was applied, so retries wait a little.
func backoff(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Like jetstream's synchronous publish, a publish that nobody answered
// ("no responders": a stream leader is being elected) is sent again
// noResponderRetries times, noResponderWait apart, before it is an error.
const (
	noResponderRetries = 2
	noResponderWait    = 250 * time.Millisecond
)

// publish sends msg, an append with its expected-sequence and id headers,
// and waits for the stream's ack: one request of its own, through the
// log's reply subscription (see replies), bounded by the log's timeout.
func (l *Log) publish(ctx context.Context, msg *nats.Msg) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	for try := 0; ; try++ {
		resp, err := l.request(ctx, msg)
		if errors.Is(err, nats.ErrNoResponders) {
			if try < noResponderRetries && ctx.Err() == nil {
				backoff(ctx, noResponderWait)
				continue
			}
			return 0, jetstream.ErrNoStreamResponse
		}
		if err != nil {
			return 0, err
		}
		return pubAck(resp.Data)
	}
}

// request publishes msg with a reply subject of the log's reply
// subscription and returns the reply. msg is not modified.
func (l *Log) request(ctx context.Context, msg *nats.Msg) (*nats.Msg, error) {
	mux, err := l.mux()
	if err != nil {
		return nil, err
	}
	reply, ch, done := mux.expect(1)
	defer done()
	// A copy per request: an earlier attempt that timed out may still be
	// queued, or being published, with its own reply subject. Header and
	// data are only read.
	out := *msg
	out.Reply = reply
	failed := make(chan error, 1)
	l.sender.send(ctx, &out, failed)
	select {
	case err := <-failed:
		return nil, err
	case m := <-ch:
		if status := m.Header.Get("Status"); len(m.Data) == 0 && status != "" {
			if status == "503" {
				return nil, nats.ErrNoResponders
			}
			return nil, fmt.Errorf("publish: status %s %s", status, m.Header.Get("Description"))
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// plainPubAck reads the common ack, {"stream":"<name>","seq":<n>} with
// nothing else or more fields after seq, without the reflection of
// encoding/json (an ack per append); anything else is not ok and is
// decoded in full.
func plainPubAck(data []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"stream":"`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return 0, false
	}
	if rest, ok = bytes.CutPrefix(rest[end+1:], []byte(`,"seq":`)); !ok {
		return 0, false
	}
	n := 0
	for n < len(rest) && n < 20 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n == len(rest) || (rest[n] != '}' && rest[n] != ',') {
		return 0, false
	}
	seq, err := strconv.ParseUint(string(rest[:n]), 10, 64)
	return seq, err == nil
}

// pubAckReply is the stream's answer to a publish.
type pubAckReply struct {
	Error  *jetstream.APIError `json:"error,omitempty"`
	Stream string              `json:"stream"`
	Seq    uint64              `json:"seq"`
}

// pubAck returns the sequence a publish's ack gives, or the error the
// stream answered with (a *jetstream.APIError, as jetstream's publish
// returns it).
func pubAck(data []byte) (uint64, error) {
	if seq, ok := plainPubAck(data); ok {
		return seq, nil
	}
	var a pubAckReply
	if err := json.Unmarshal(data, &a); err != nil {
		return 0, jetstream.ErrInvalidJSAck
	}
	if a.Error != nil {
		return 0, fmt.Errorf("nats: %w", a.Error)
	}
	if a.Stream == "" {
		return 0, jetstream.ErrInvalidJSAck
	}
	return a.Seq, nil
}

// landed reports the sequence of the subject's last message if it carries id.
func (l *Log) landed(ctx context.Context, subj, id string) (uint64, bool) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	m, err := l.stream.GetLastMsgForSubject(ctx, subj)
	if err != nil || m.Header.Get(jetstream.MsgIDHeader) != id {
		return 0, false
	}
	return m.Sequence, true
}

// isWrongLastSequence matches the conflict codes of single-replica (10071)
// and replicated (10164) streams.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// duplicateInProcess is the server's code for a message id whose first
// message is still being applied (JSStreamDuplicateMessageConflict); the
// client library has no constant for it.
const duplicateInProcess = 10158

// isDuplicateInProcess matches the refusal of a message sent again while
// its first copy is still in flight on a replicated stream.
func isDuplicateInProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == duplicateInProcess
}

// isBusy matches the replicated stream's wrong-last-sequence code (10164),
// which it also returns, without a sequence, while the subject's previous
// message is still in flight.
func isBusy(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// actualSeq extracts the sequence the server found, when it says so
// ("wrong last sequence: 7"); 0 otherwise.
func actualSeq(err error) uint64 {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return 0
	}
	_, n, ok := strings.Cut(apiErr.Description, ": ")
	if !ok {
		return 0
	}
	seq, _ := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
	return seq
}

// retryable reports errors after which the append may or may not have
// landed and sending it again is safe.
func retryable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected)
}
