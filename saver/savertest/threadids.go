package savertest

import (
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// threadIDs are ids that break naive subject, key or path encodings. No two
// may collide.
var threadIDs = []string{
	"plain", "with.dot", "a.b.c", "star*", "*", "gt>", ">", "with space", " ", "slash/ed", "/",
	"back\\slash", "uni-日本語-🙂", "tab\tnew\nline", "percent%2E", "_", "-", "..", "a..b",
	"UPPER", "upper", "quote'\"", "nul\x00byte", strings.Repeat("k", 1024),
}

func runThreadIDs(t *testing.T, newSaver NewSaver) {
	t.Run("AnyNonEmptyStringWorksAndNeverCollides", func(t *testing.T) {
		t.Parallel()
		s := newSaver(t)
		for _, id := range threadIDs {
			b := on(t, s, id, "")
			c := b.put("", meta(saver.SourceInput, -1), map[string]string{"id": id})
			must(t, s.PutWrites(ctx(t), c, []saver.Write{w("id", id)}, "task"))
		}
		for _, id := range threadIDs {
			tu := on(t, s, id, "").get("")
			if tu.Config.ThreadID != id {
				t.Fatalf("thread %q read back as %q", id, tu.Config.ThreadID)
			}
			wantValues(t, tu, map[string]string{"id": id})
			if got := collect(t, s, saver.ListParams{ThreadID: id}); len(got) != 1 {
				t.Fatalf("thread %q lists %d tuples, want 1", id, len(got))
			}
		}
		if got := collect(t, s, saver.ListParams{}); len(got) != len(threadIDs) {
			t.Fatalf("all threads list %d tuples, want %d", len(got), len(threadIDs))
		}
		must(t, s.DeleteThread(ctx(t), "a.b.c"))
		for _, id := range []string{"with.dot", "a..b", "*", ">"} {
			on(t, s, id, "").get("")
		}
	})
}
