package natsjs_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

func blobKey(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// blobsOf returns the blob store and append limit the saver hands to the
// event store.
func blobsOf(t *testing.T, s *natsjs.Saver) (eventstore.BlobStore, eventstore.AppendLimiter) {
	t.Helper()
	bs, ok := s.Store.Log().(eventstore.BlobStore)
	if !ok {
		t.Fatal("the JetStream log is not a BlobStore")
	}
	al, ok := s.Store.Log().(eventstore.AppendLimiter)
	if !ok {
		t.Fatal("the JetStream log is not an AppendLimiter")
	}
	return bs, al
}

func listBlobs(t *testing.T, bs eventstore.BlobStore, thread string) []string {
	t.Helper()
	var keys []string
	for k, err := range bs.Blobs(t.Context(), thread) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// On a server with the stock 1 MB max payload, a 5 MiB value is stored and
// read back whole; storing it again stores nothing; a missing one is not
// found; listing and deleting are per thread.
func TestBlobsFarLargerThanAMessage(t *testing.T) {
	t.Parallel()
	_, js := stockServer(t)
	cfg := isolated(1)
	s := open(t, js, cfg)
	bs, al := blobsOf(t, s)
	ctx := t.Context()
	if max := js.Conn().MaxPayload(); max != 1<<20 || al.MaxAppendBytes() <= 0 || al.MaxAppendBytes() >= int(max) {
		t.Fatalf("MaxAppendBytes %d, want below the server's %d", al.MaxAppendBytes(), max)
	}
	big := make([]byte, 5<<20)
	rand.Read(big)
	key := blobKey(big)
	before, err := s.StorageBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.PutBlob(ctx, "t", key, big); err != nil {
		t.Fatal(err)
	}
	after, err := s.StorageBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 5<<20 {
		t.Fatalf("StorageBytes grew by %d after storing 5 MiB", after-before)
	}
	got, err := bs.GetBlob(ctx, "t", key)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("GetBlob: %d bytes, %v; want the 5 MiB back", len(got), err)
	}
	if err := bs.PutBlob(ctx, "t", key, big); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.StorageBytes(ctx); again != after {
		t.Fatalf("storing the same blob again changed storage from %d to %d bytes", after, again)
	}
	small := []byte("small")
	if err := bs.PutBlob(ctx, "t", blobKey(small), small); err != nil {
		t.Fatal(err)
	}
	if err := bs.PutBlob(ctx, "u.other", blobKey(small), small); err != nil {
		t.Fatal(err)
	}
	// Another saver on another stream shares the bucket without seeing these.
	ocfg := isolated(1)
	ocfg.BlobBucket = "jetgraph-blobs"
	other := open(t, js, ocfg)
	obs, _ := blobsOf(t, other)
	if err := obs.PutBlob(ctx, "t", blobKey([]byte("theirs")), []byte("theirs")); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.GetBlob(ctx, "t", blobKey([]byte("missing"))); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("GetBlob of a missing key: %v, want saver.ErrNotFound", err)
	}
	if _, err := bs.GetBlob(ctx, "u.other", key); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("GetBlob of another thread's key: %v, want saver.ErrNotFound", err)
	}
	if _, err := bs.GetBlob(ctx, "t", "not-a-key"); !errors.Is(err, saver.ErrInvalid) {
		t.Fatalf("GetBlob of a malformed key: %v, want saver.ErrInvalid", err)
	}
	want := []string{key, blobKey(small)}
	slices.Sort(want)
	if got := listBlobs(t, bs, "t"); !slices.Equal(got, want) {
		t.Fatalf("Blobs(t) = %v, want %v", got, want)
	}
	if err := bs.DeleteBlobs(ctx, "t", []string{key, blobKey([]byte("never stored"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.GetBlob(ctx, "t", key); !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("GetBlob after delete: %v, want saver.ErrNotFound", err)
	}
	if got := listBlobs(t, bs, "t"); !slices.Equal(got, []string{blobKey(small)}) {
		t.Fatalf("Blobs(t) after delete = %v", got)
	}
	if got := listBlobs(t, bs, "u.other"); !slices.Equal(got, []string{blobKey(small)}) {
		t.Fatalf("Blobs(u.other) = %v", got)
	}
	if final, _ := s.StorageBytes(ctx); final >= after {
		t.Fatalf("storage %d bytes after deleting the 5 MiB blob, was %d", final, after)
	}
}

func TestBadBlobBucketIsInvalid(t *testing.T) {
	t.Parallel()
	_, js := setupServer(t)
	cfg := isolated(1)
	cfg.BlobBucket = "no.dots"
	if _, err := natsjs.New(t.Context(), js, cfg); !errors.Is(err, saver.ErrInvalid) {
		t.Fatalf("New with a bad blob bucket: %v, want saver.ErrInvalid", err)
	}
}
