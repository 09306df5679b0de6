package logtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// blobCases run on logs that are eventstore.BlobStores.
var blobCases = []struct {
	name string
	run  func(t *testing.T, l eventstore.Log, b eventstore.BlobStore)
}{
	{"BlobsRoundTripPerThread", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		data := []byte("a value kept out of line")
		k := key(data)
		putBlob(t, b, "a", data)
		if got := getBlob(t, b, "a", k); !bytes.Equal(got, data) {
			t.Fatalf("blob read back as %q, want %q", got, data)
		}
		got := getBlob(t, b, "a", k)
		got[0] = 'X' // the caller's own bytes
		if again := getBlob(t, b, "a", k); !bytes.Equal(again, data) {
			t.Fatalf("changing a read blob changed the stored one: %q", again)
		}
		_, err := b.GetBlob(t.Context(), "b", k)
		wantNotFound(t, err, "the blob of another thread")
		_, err = b.GetBlob(t.Context(), "a", key([]byte("never stored")))
		wantNotFound(t, err, "a key never stored")
		if keys := blobKeys(t, b, "a"); !slices.Equal(keys, []string{k}) {
			t.Fatalf("thread a holds blobs %q, want %q", keys, k)
		}
		if keys := blobKeys(t, b, "b"); len(keys) != 0 {
			t.Fatalf("thread b holds blobs %q, want none", keys)
		}
	}},
	{"PutBlobOfAnExistingKeyDoesNothing", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		data := []byte("first")
		k := key(data)
		putBlob(t, b, "t", data)
		putBlob(t, b, "t", data)
		if err := b.PutBlob(t.Context(), "t", k, []byte("not what the key says")); err != nil {
			t.Fatalf("put of an existing key: %v", err)
		}
		if got := getBlob(t, b, "t", k); !bytes.Equal(got, data) {
			t.Fatalf("existing blob became %q, want %q", got, data)
		}
		if keys := blobKeys(t, b, "t"); len(keys) != 1 {
			t.Fatalf("thread holds %d blobs after three puts of one key, want 1", len(keys))
		}
	}},
	{"ConcurrentPutsOfOneKeyAllSucceed", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		data := bytes.Repeat([]byte("race"), 1000)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() { errs[i] = b.PutBlob(t.Context(), "t", key(data), data) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("racing put %d: %v", i, err)
			}
		}
		if got := getBlob(t, b, "t", key(data)); !bytes.Equal(got, data) {
			t.Fatal("racing puts stored something else")
		}
	}},
	{"EmptyBlobRoundTrips", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		putBlob(t, b, "t", nil)
		got, err := b.GetBlob(t.Context(), "t", key(nil))
		if err != nil || len(got) != 0 {
			t.Fatalf("empty blob read back as %q, %v", got, err)
		}
	}},
	{"DeleteBlobsRemovesOnlyThoseKeysOfThatThread", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		one, two, three := []byte("one"), []byte("two"), []byte("three")
		for _, d := range [][]byte{one, two, three} {
			putBlob(t, b, "t", d)
		}
		putBlob(t, b, "other", one)
		missing := key([]byte("never stored"))
		if err := b.DeleteBlobs(t.Context(), "t", []string{key(one), missing, key(three)}); err != nil {
			t.Fatal(err)
		}
		if keys := blobKeys(t, b, "t"); !slices.Equal(keys, []string{key(two)}) {
			t.Fatalf("thread holds %q after the delete, want just %q", keys, key(two))
		}
		_, err := b.GetBlob(t.Context(), "t", key(one))
		wantNotFound(t, err, "a deleted blob")
		if got := getBlob(t, b, "other", key(one)); !bytes.Equal(got, one) {
			t.Fatalf("another thread's blob of the same key: %q", got)
		}
		if err := b.DeleteBlobs(t.Context(), "t", nil); err != nil {
			t.Fatalf("delete of no keys: %v", err)
		}
		if err := b.DeleteBlobs(t.Context(), "nobody", []string{missing}); err != nil {
			t.Fatalf("delete on an unknown thread: %v", err)
		}
		putBlob(t, b, "t", one) // a deleted key may be stored again
		getBlob(t, b, "t", key(one))
	}},
	{"BlobThreadIdsAreIsolated", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		ids := []string{"a", "a.b", "a*", "a b", "A", "日本", "nul\x00", "nul"}
		for _, id := range ids {
			putBlob(t, b, id, []byte(id))
		}
		for _, id := range ids {
			if keys := blobKeys(t, b, id); !slices.Equal(keys, []string{key([]byte(id))}) {
				t.Fatalf("thread %q holds blobs %q", id, keys)
			}
		}
	}},
	{"BlobsAloneMakeNoThread", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		putBlob(t, b, "blobs-only", []byte("x"))
		appendN(t, l, "events", 1)
		var got []string
		for id, err := range l.Threads(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if !slices.Equal(got, []string{"events"}) {
			t.Fatalf("threads %q, want just the one with events", got)
		}
		if last := lastSeq(t, l, "blobs-only"); last != 0 {
			t.Fatalf("a thread with only blobs has last sequence %d", last)
		}
	}},
	{"LargeBlobRoundTrips", func(t *testing.T, l eventstore.Log, b eventstore.BlobStore) {
		big := make([]byte, 64<<20) // 64 MiB, not compressible to nothing
		for i := 0; i < len(big); i += 4096 {
			copy(big[i:], key(big[max(i-64, 0):i]))
		}
		big[len(big)-1] = 'Z'
		putBlob(t, b, "t", big)
		if got := getBlob(t, b, "t", key(big)); !bytes.Equal(got, big) {
			t.Fatalf("64 MiB blob read back as %d bytes, not equal", len(got))
		}
	}},
}

func runBlobCase(t *testing.T, l eventstore.Log, run func(t *testing.T, l eventstore.Log, b eventstore.BlobStore)) {
	b, ok := l.(eventstore.BlobStore)
	if !ok {
		t.Skipf("%T is not an eventstore.BlobStore", l)
	}
	run(t, l, b)
}

// key is the key a blob of data is stored under.
func key(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func putBlob(t *testing.T, b eventstore.BlobStore, thread string, data []byte) {
	t.Helper()
	if err := b.PutBlob(t.Context(), thread, key(data), data); err != nil {
		t.Fatalf("put blob of %d bytes on %q: %v", len(data), thread, err)
	}
}

func getBlob(t *testing.T, b eventstore.BlobStore, thread, k string) []byte {
	t.Helper()
	data, err := b.GetBlob(t.Context(), thread, k)
	if err != nil {
		t.Fatalf("get blob %s of %q: %v", k, thread, err)
	}
	return data
}

func blobKeys(t *testing.T, b eventstore.BlobStore, thread string) []string {
	t.Helper()
	var keys []string
	for k, err := range b.Blobs(t.Context(), thread) {
		if err != nil {
			t.Fatalf("blobs of %q: %v", thread, err)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, saver.ErrNotFound) {
		t.Fatalf("%s: %v, want an error matching saver.ErrNotFound", what, err)
	}
}
