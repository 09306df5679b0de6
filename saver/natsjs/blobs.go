package natsjs

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/eventlog"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// blobStore keeps a thread's large values out of line in a JetStream
// Object Store bucket, one object per value, named
// <stream>/<thread token>/<key> (the key is the hex SHA-256 of the value),
// so that savers on different streams can share a bucket. The bucket splits each object
// into chunks well below the server's max payload, so values far larger
// than a message fit.
type blobStore struct {
	obs    jetstream.ObjectStore
	stream jetstream.Stream // the bucket's own stream, for listing and purges
	bucket string
	prefix string // <stream>/
}

var _ eventstore.BlobStore = (*blobStore)(nil)

// openBlobs creates the bucket, or updates it, with the event stream's
// storage and replicas.
func openBlobs(ctx context.Context, js jetstream.JetStream, bucket string, log eventlog.Config) (*blobStore, error) {
	obs, st, err := eventlog.OpenObjects(ctx, js, jetstream.ObjectStoreConfig{
		Bucket:      bucket,
		Description: "jetgraph values kept out of line (of " + log.Stream + ")",
		Storage:     log.Storage,
		Replicas:    log.Replicas,
	})
	if err != nil {
		return nil, err
	}
	return &blobStore{obs: obs, stream: st, bucket: bucket, prefix: log.Stream + "/"}, nil
}

// name returns the object name of a thread's blob.
func (b *blobStore) name(thread, key string) (string, error) {
	tok, err := eventlog.EncodeThread(thread)
	if err != nil {
		return "", err
	}
	if !validKey(key) {
		return "", saver.Invalid("blob key", fmt.Sprintf("%.80q is not a hex SHA-256", key))
	}
	return b.prefix + tok + "/" + key, nil
}

func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// PutBlob implements eventstore.BlobStore. A blob stored whole already is
// not sent again.
func (b *blobStore) PutBlob(ctx context.Context, thread, key string, data []byte) error {
	name, err := b.name(thread, key)
	if err != nil {
		return err
	}
	info, err := b.obs.GetInfo(ctx, name)
	if err == nil && !info.Deleted && info.Size == uint64(len(data)) {
		return nil
	}
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("blob %s of thread %q: %w", key, thread, err)
	}
	if _, err := b.obs.PutBytes(ctx, name, data); err != nil {
		return fmt.Errorf("store blob %s of thread %q: %w", key, thread, err)
	}
	return nil
}

// GetBlob implements eventstore.BlobStore. A missing blob matches
// saver.ErrNotFound. The bucket checks the bytes against the digest it
// stored.
func (b *blobStore) GetBlob(ctx context.Context, thread, key string) ([]byte, error) {
	name, err := b.name(thread, key)
	if err != nil {
		return nil, err
	}
	data, err := b.obs.GetBytes(ctx, name)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) && ctx.Err() == nil {
		// Replaced while it was read (another writer stored it at the same
		// moment): read it again.
		data, err = b.obs.GetBytes(ctx, name)
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("blob %s of thread %q: %w", key, thread, saver.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s of thread %q: %w", key, thread, err)
	}
	return data, nil
}

// Blobs implements eventstore.BlobStore: the keys stored under the thread,
// sorted. It reads the names of the bucket's objects (not their bytes):
// its cost grows with the number of objects in the bucket.
func (b *blobStore) Blobs(ctx context.Context, thread string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		tok, err := eventlog.EncodeThread(thread)
		if err != nil {
			yield("", err)
			return
		}
		keys, err := b.keys(ctx, tok)
		if err != nil {
			yield("", fmt.Errorf("blobs of thread %q: %w", thread, err))
			return
		}
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// keys lists the keys of the objects named <stream>/<tok>/<key>.
func (b *blobStore) keys(ctx context.Context, tok string) ([]string, error) {
	prefix := "$O." + b.bucket + ".M."
	info, err := b.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return nil, err
	}
	var keys []string
	for subj := range info.State.Subjects {
		raw, err := base64.URLEncoding.DecodeString(strings.TrimPrefix(subj, prefix))
		if err != nil {
			continue // not an object name
		}
		if key, ok := strings.CutPrefix(string(raw), b.prefix+tok+"/"); ok && validKey(key) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// DeleteBlobs implements eventstore.BlobStore. It removes each object's
// bytes and then its name, so that nothing of a deleted value, not even
// the thread it belonged to, stays in the bucket.
func (b *blobStore) DeleteBlobs(ctx context.Context, thread string, keys []string) error {
	for _, key := range keys {
		name, err := b.name(thread, key)
		if err != nil {
			return err
		}
		if err := b.obs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("delete blob %s of thread %q: %w", key, thread, err)
		}
		meta := "$O." + b.bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
		if err := b.stream.Purge(ctx, jetstream.WithPurgeSubject(meta)); err != nil {
			return fmt.Errorf("delete blob %s of thread %q: %w", key, thread, err)
		}
	}
	return nil
}
