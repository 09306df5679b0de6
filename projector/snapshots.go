package projector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/saver"
)

// Snapshots is the KV bucket of thread snapshots. A thread's snapshot is a
// manifest under m.<token> naming the sequence it was taken at, and its
// bytes in chunks under c.<token>.<sequence>.<index>; only the newest
// snapshot of a thread is kept.
type Snapshots struct {
	log    *eventlog.Log // the thread events the snapshots are folded from
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's own stream, for purges
	bucket string
	chunk  int
}

// manifest describes one stored snapshot.
type manifest struct {
	Seq    uint64 `json:"seq"`
	Size   int    `json:"size"`
	Chunks int    `json:"chunks"`
	Sum    string `json:"sha256"`
}

// OpenSnapshots creates the bucket cfg names, or updates it, and returns it.
// Defaults are taken from log (replicas) and the connection (chunk size).
func OpenSnapshots(ctx context.Context, log *eventlog.Log, cfg Config) (*Snapshots, error) {
	js := log.JetStream()
	maxPayload := js.Conn().MaxPayload()
	cfg = cfg.withDefaults(log.Config().Replicas, maxPayload)
	if err := cfg.validate(maxPayload); err != nil {
		return nil, err
	}
	kv, st, err := eventlog.OpenBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "jetgraph thread snapshots (a cache of " + log.Config().Stream + ")",
		History:     1,
		Storage:     cfg.Storage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, err
	}
	return &Snapshots{log: log, js: js, kv: kv, stream: st, bucket: cfg.Bucket, chunk: cfg.ChunkBytes}, nil
}

// KeyValue returns the bucket.
func (s *Snapshots) KeyValue() jetstream.KeyValue { return s.kv }

// Stream returns the stream that holds the bucket.
func (s *Snapshots) Stream() jetstream.Stream { return s.stream }

func manifestKey(tok string) string { return "m." + tok }

func chunkKey(tok string, seq uint64, i int) string {
	return "c." + tok + "." + strconv.FormatUint(seq, 10) + "." + strconv.Itoa(i)
}

// Load returns the newest snapshot of a thread and the sequence it was
// taken at; nil and 0 when there is none. A snapshot replaced while it was
// being read is read again. A manifest that is impossible (see current),
// or whose sequence is beyond the thread's newest event in the stream (a
// forged manifest, or one left from a stream since recreated), is an error
// wrapping saver.ErrCorrupt: its content is never returned, and the next
// Save replaces it.
func (s *Snapshots) Load(ctx context.Context, thread string) ([]byte, uint64, error) {
	tok, err := eventlog.EncodeThread(thread)
	if err != nil {
		return nil, 0, err
	}
	for attempt := 0; ; attempt++ {
		data, seq, err := s.load(ctx, thread, tok)
		if errors.Is(err, jetstream.ErrKeyNotFound) && attempt == 0 {
			continue // the chunks went with a newer snapshot: take that one
		}
		if err != nil {
			return nil, 0, fmt.Errorf("load snapshot of thread %q: %w", thread, err)
		}
		return data, seq, nil
	}
}

func (s *Snapshots) load(ctx context.Context, thread, tok string) ([]byte, uint64, error) {
	m, _, err := s.current(ctx, tok)
	if m == nil || err != nil {
		return nil, 0, err
	}
	if err := s.checkReached(ctx, thread, m.Seq); err != nil {
		return nil, 0, err
	}
	// The declared size only bounds what is read: a forged one must not
	// make the reader allocate it up front.
	buf := make([]byte, 0, min(m.Size, s.chunk*m.Chunks, maxPrealloc))
	for i := range m.Chunks {
		c, err := s.kv.Get(ctx, chunkKey(tok, m.Seq, i))
		if err != nil {
			return nil, 0, fmt.Errorf("chunk %d of snapshot at %d: %w", i, m.Seq, err)
		}
		if len(buf)+len(c.Value()) > m.Size {
			return nil, 0, fmt.Errorf("snapshot at %d: %w: chunks longer than its %d bytes", m.Seq, saver.ErrCorrupt, m.Size)
		}
		buf = append(buf, c.Value()...)
	}
	if sum := sha256.Sum256(buf); len(buf) != m.Size || hex.EncodeToString(sum[:]) != m.Sum {
		return nil, 0, fmt.Errorf("snapshot at %d: %w: checksum mismatch", m.Seq, saver.ErrCorrupt)
	}
	return buf, m.Seq, nil
}

// maxPrealloc bounds the buffer Load allocates before reading chunks.
const maxPrealloc = 16 << 20

// checkReached returns an error wrapping saver.ErrCorrupt when seq is
// beyond the thread's newest event in the stream: no snapshot can have been
// taken there. Sequences only grow, so a manifest read before this check
// that passes it was possible when it was read.
func (s *Snapshots) checkReached(ctx context.Context, thread string, seq uint64) error {
	last, err := s.log.LastSeq(ctx, thread)
	if err != nil {
		return fmt.Errorf("the thread's newest event: %w", err)
	}
	if seq > last {
		return fmt.Errorf("manifest at sequence %d: %w: the thread's newest event is at %d", seq, saver.ErrCorrupt, last)
	}
	return nil
}

// maxSaveAttempts bounds how often Save tries to store its manifest while
// other writers replace the thread's snapshot with older ones, or a
// replicated bucket is still applying the manifest's previous update.
const maxSaveAttempts = 16

// wait waits d, or until ctx ends: false then.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Save stores data as the thread's snapshot at seq, unless a snapshot at
// seq or later is already stored, and drops the one it replaces. A
// snapshot stored concurrently by another writer is replaced if it is
// older than seq: whatever the interleaving, the thread's manifest never
// goes back to a sequence below one a Save has returned for. A stored
// manifest that is unreadable, impossible, or beyond the thread's newest
// event (forged, say, at a far-future sequence) is replaced, and its chunks
// dropped: it cannot stop a thread from getting snapshots.
func (s *Snapshots) Save(ctx context.Context, thread string, seq uint64, data []byte) error {
	tok, err := eventlog.EncodeThread(thread)
	if err != nil {
		return err
	}
	old, rev, newer, err := s.replaceable(ctx, thread, tok, seq)
	if err != nil {
		return fmt.Errorf("save snapshot of thread %q: %w", thread, err)
	}
	if newer {
		return nil
	}
	sum := sha256.Sum256(data)
	m := manifest{Seq: seq, Size: len(data), Sum: hex.EncodeToString(sum[:])}
	for off := 0; ; off += s.chunk {
		end := min(off+s.chunk, len(data))
		if _, err := s.kv.Put(ctx, chunkKey(tok, seq, m.Chunks), data[off:end]); err != nil {
			_ = s.purgeChunks(ctx, tok, seq)
			return fmt.Errorf("save snapshot of thread %q at %d: %w", thread, seq, err)
		}
		m.Chunks++
		if end >= len(data) {
			break
		}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if old == nil {
			_, err = s.kv.Create(ctx, manifestKey(tok), mb)
		} else {
			_, err = s.kv.Update(ctx, manifestKey(tok), mb, rev)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || attempt >= maxSaveAttempts {
			_ = s.purgeChunks(ctx, tok, seq)
			return fmt.Errorf("save snapshot manifest of thread %q at %d: %w", thread, seq, err)
		}
		// Another writer stored a snapshot meanwhile: keep it if it is as
		// new as ours, else replace it. A replicated bucket also refuses
		// while the manifest's previous update is still being applied
		// (JetStream 10164, no revision given); nothing signals when it
		// is, so the next attempt waits a little longer.
		if !wait(ctx, time.Duration(attempt)*time.Millisecond) {
			_ = s.purgeChunks(context.WithoutCancel(ctx), tok, seq)
			return fmt.Errorf("save snapshot manifest of thread %q at %d: %w", thread, seq, ctx.Err())
		}
		if old, rev, newer, err = s.replaceable(ctx, thread, tok, seq); err != nil {
			_ = s.purgeChunks(ctx, tok, seq)
			return fmt.Errorf("save snapshot of thread %q: %w", thread, err)
		}
		if newer {
			if old.Seq != seq { // the same sequence shares our chunk keys
				_ = s.purgeChunks(ctx, tok, seq)
			}
			return nil
		}
	}
	if old != nil && old.Seq != seq {
		if err := s.purgeChunks(ctx, tok, old.Seq); err != nil {
			return fmt.Errorf("drop snapshot of thread %q at %d: %w", thread, old.Seq, err)
		}
	}
	return nil
}

// replaceable returns the thread's stored manifest (nil if none) and its
// revision, and whether it names a real snapshot at seq or later, which
// Save keeps. An unreadable or impossible manifest, or one beyond the
// thread's newest event, is not newer: Save replaces it. Only a manifest
// at seq or later costs a look at the stream.
func (s *Snapshots) replaceable(ctx context.Context, thread, tok string, seq uint64) (*manifest, uint64, bool, error) {
	m, rev, err := s.current(ctx, tok)
	if errors.Is(err, saver.ErrCorrupt) {
		return m, rev, false, nil
	}
	if err != nil || m == nil || m.Seq < seq {
		return m, rev, false, err
	}
	err = s.checkReached(ctx, thread, m.Seq)
	if errors.Is(err, saver.ErrCorrupt) {
		return m, rev, false, nil
	}
	return m, rev, err == nil, err
}

// Truncate makes data, the thread's state right after the event at seq
// (a tombstone or a seed that replaced the thread's state), its snapshot,
// unless a later one is stored, and removes every chunk the bucket holds
// for the thread below seq: also those a writer that crashed mid-save left
// behind. After it returns, no snapshot of the thread older than seq is
// in the bucket, and none can be stored again (Save refuses it).
func (s *Snapshots) Truncate(ctx context.Context, thread string, seq uint64, data []byte) error {
	if err := s.Save(ctx, thread, seq, data); err != nil {
		return err
	}
	tok, err := eventlog.EncodeThread(thread)
	if err != nil {
		return err
	}
	prefix := "$KV." + s.bucket + ".c." + tok + "."
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return fmt.Errorf("truncate snapshots of thread %q: %w", thread, err)
	}
	for subj := range info.State.Subjects {
		at, _, _ := strings.Cut(strings.TrimPrefix(subj, prefix), ".")
		n, err := strconv.ParseUint(at, 10, 64)
		if err != nil || n >= seq {
			continue
		}
		if err := s.purgeChunks(ctx, tok, n); err != nil {
			return fmt.Errorf("truncate snapshots of thread %q below %d: %w", thread, seq, err)
		}
	}
	return nil
}

// current reads the thread's manifest and its revision: nil when there is
// none. A manifest that does not parse, or that no Save writes (sequence
// 0, no chunks, more chunks than its size allows), is an error wrapping
// saver.ErrCorrupt, returned with a manifest holding at most its sequence,
// and its revision, so that Save can replace it.
func (s *Snapshots) current(ctx context.Context, tok string) (*manifest, uint64, error) {
	e, err := s.kv.Get(ctx, manifestKey(tok))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var m manifest
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return &manifest{}, e.Revision(), fmt.Errorf("manifest: %w: %w", saver.ErrCorrupt, err)
	}
	// Every chunk but the last is full, and chunks hold at least
	// minChunkBytes.
	if m.Seq == 0 || m.Size < 0 || m.Chunks < 1 || m.Chunks > m.Size/minChunkBytes+1 {
		return &manifest{Seq: m.Seq}, e.Revision(), fmt.Errorf("manifest at sequence %d of %d bytes in %d chunks: %w: impossible", m.Seq, m.Size, m.Chunks, saver.ErrCorrupt)
	}
	return &m, e.Revision(), nil
}

// purgeChunks removes a snapshot's chunks from the bucket's stream without
// leaving delete markers, so that replaced snapshots take no space.
func (s *Snapshots) purgeChunks(ctx context.Context, tok string, seq uint64) error {
	return s.stream.Purge(ctx, jetstream.WithPurgeSubject("$KV."+s.bucket+".c."+tok+"."+strconv.FormatUint(seq, 10)+".>"))
}
