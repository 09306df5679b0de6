package eventlog

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// Log is the per-thread event log on one JetStream stream. It is safe for
// concurrent use.
type Log struct {
	js     jetstream.JetStream
	nc     *nats.Conn
	stream jetstream.Stream
	cfg    Config
	api    string // JetStream API subject prefix, ending in "."

	read atomic.Uint64 // messages read, for tests and metrics

	sender sender

	repliesOnce sync.Once
	replies     *replies
	repliesErr  error

	// maxPayload caches the connection's max payload (reading it takes the
	// connection's lock, which its flusher holds while it writes), and
	// when it was read, in Unix nanoseconds.
	maxPayload, maxPayloadAt atomic.Int64
}

var (
	_ eventstore.Log           = (*Log)(nil)
	_ eventstore.Truncater     = (*Log)(nil)
	_ eventstore.AppendLimiter = (*Log)(nil)
)

// New creates the stream cfg describes, or updates it to match, and returns
// a log over it. js is a handle the caller built and keeps owning.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, max(cfg.Timeout, SetupTimeout))
	defer cancel()
	stream, err := EnsureStream(ctx, js, cfg.streamConfig())
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", cfg.Stream, Refused(js.Conn(), err, cfg.Stream))
	}
	nc := js.Conn()
	return &Log{js: js, nc: nc, stream: stream, cfg: cfg, api: apiPrefix(js.Options()), sender: sender{nc: nc}}, nil
}

// mux returns the log's reply subscription, made on first use.
func (l *Log) mux() (*replies, error) {
	l.repliesOnce.Do(func() { l.replies, l.repliesErr = newReplies(l.nc) })
	return l.replies, l.repliesErr
}

func apiPrefix(o jetstream.JetStreamOptions) string {
	switch {
	case o.APIPrefix != "":
		return strings.TrimSuffix(o.APIPrefix, ".") + "."
	case o.Domain != "":
		return "$JS." + o.Domain + ".API."
	}
	return jetstream.DefaultAPIPrefix
}

// Config returns the log's configuration, defaults filled in.
func (l *Log) Config() Config { return l.cfg }

// Stream returns the stream handle.
func (l *Log) Stream() jetstream.Stream { return l.stream }

// JetStream returns the JetStream handle the log was built with.
func (l *Log) JetStream() jetstream.JetStream { return l.js }

// MessagesRead counts the messages this log has fetched from the stream
// (reads, replays and last-message lookups), for tests and metrics.
func (l *Log) MessagesRead() uint64 { return l.read.Load() }

// Subject returns the subject of a thread's events.
func (l *Log) Subject(thread string) (string, error) {
	tok, err := EncodeThread(thread)
	if err != nil {
		return "", err
	}
	return l.cfg.Prefix + "." + tok, nil
}

// Thread returns the thread a subject of this log belongs to. A subject
// with a hashed token (a long id) does not say: the error matches
// ErrHashedToken; use ThreadOf with the message's header.
func (l *Log) Thread(subject string) (string, error) {
	tok, ok := strings.CutPrefix(subject, l.cfg.Prefix+".")
	if !ok {
		return "", fmt.Errorf("subject %q is not under %s: %w", subject, l.cfg.Prefix, saver.ErrInvalid)
	}
	return DecodeThread(tok)
}

// ThreadHeader is the message header that carries the thread id on every
// append (escaped as a plain token is, without the length bound), so that
// a thread whose subject token is a hash can still be named.
const ThreadHeader = "Jetgraph-Thread"

// ThreadOf returns the thread a message of this log belongs to, from its
// subject and, for a hashed token, its ThreadHeader. A header that does not
// name the subject's thread is an error matching saver.ErrCorrupt.
func (l *Log) ThreadOf(subject string, h nats.Header) (string, error) {
	tok, ok := strings.CutPrefix(subject, l.cfg.Prefix+".")
	if !ok {
		return "", fmt.Errorf("subject %q is not under %s: %w", subject, l.cfg.Prefix, saver.ErrInvalid)
	}
	v := h.Get(ThreadHeader)
	if !IsHashedToken(tok) {
		id, err := DecodeThread(tok)
		if err == nil && v != "" && v != tok {
			return "", fmt.Errorf("subject %q: header %s names another thread: %w", subject, ThreadHeader, saver.ErrCorrupt)
		}
		return id, err
	}
	id, err := unescape(v)
	if err != nil {
		return "", fmt.Errorf("subject %q: header %s: %w", subject, ThreadHeader, err)
	}
	if again, err := EncodeThread(id); err != nil || again != tok {
		return "", fmt.Errorf("subject %q: header %s names another thread: %w", subject, ThreadHeader, saver.ErrCorrupt)
	}
	return id, nil
}

// LastSeq implements eventstore.Log: one request for the newest message on
// the thread's subject.
func (l *Log) LastSeq(ctx context.Context, thread string) (uint64, error) {
	subj, err := l.Subject(thread)
	if err != nil {
		return 0, err
	}
	return l.lastSeqOf(ctx, subj)
}

func (l *Log) lastSeqOf(ctx context.Context, subj string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	m, err := l.stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last message of %s: %w", subj, err)
	}
	l.read.Add(1)
	return m.Sequence, nil
}

// Threads implements eventstore.Log: the threads with at least one message
// in the stream, sorted by id.
func (l *Log) Threads(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
		defer cancel()
		info, err := l.stream.Info(ctx, jetstream.WithSubjectFilter(l.cfg.Prefix+".>"))
		if err != nil {
			yield("", fmt.Errorf("stream %s subjects: %w", l.cfg.Stream, err))
			return
		}
		ids := make([]string, 0, len(info.State.Subjects))
		for subj := range info.State.Subjects {
			id, err := l.Thread(subj)
			if errors.Is(err, ErrHashedToken) {
				id, err = l.hashedThread(ctx, subj)
				if errors.Is(err, jetstream.ErrMsgNotFound) {
					continue // purged since the listing
				}
				if err != nil && !errors.Is(err, saver.ErrInvalid) && !errors.Is(err, saver.ErrCorrupt) {
					// A thread must not go missing from the list because
					// a read failed.
					yield("", fmt.Errorf("stream %s: thread of %s: %w", l.cfg.Stream, subj, err))
					return
				}
			}
			if err != nil {
				continue // not written by this package: not a thread
			}
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if !yield(id, nil) {
				return
			}
		}
	}
}

// hashedThread names the thread of a subject with a hashed token, from the
// header of its newest message.
func (l *Log) hashedThread(ctx context.Context, subj string) (string, error) {
	m, err := l.stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		return "", err
	}
	l.read.Add(1)
	return l.ThreadOf(subj, m.Header)
}

// Truncate implements eventstore.Truncater: it purges the thread's messages
// below before, but never the newest one (a tombstone or a seed, on which
// the next append is conditional).
func (l *Log) Truncate(ctx context.Context, thread string, before uint64) error {
	subj, err := l.Subject(thread)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	last, err := l.lastSeqOf(ctx, subj)
	if err != nil || last == 0 {
		return err
	}
	before = min(before, last)
	if err := l.stream.Purge(ctx, jetstream.WithPurgeSubject(subj), jetstream.WithPurgeSequence(before)); err != nil {
		return fmt.Errorf("purge %s below %d: %w", subj, before, err)
	}
	return nil
}
