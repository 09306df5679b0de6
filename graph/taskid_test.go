package graph

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// taskID must keep giving the ids recorded tasks were stored under.
func TestTaskIDIsTheNameBasedUUIDOfItsKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cp, kind, name string
		idx            int
	}{{"", "pull", "a", 0}, {"0193a1b2-0000-7000-8000-000000000000", "push", "node", 12}, {"x", "pull", strings.Repeat("long-name-", 30), 1 << 40}} {
		key := strings.Join([]string{c.cp, c.kind, c.name, strconv.Itoa(c.idx)}, "\x00")
		want := uuid.NewSHA1(uuid.NameSpaceOID, []byte(key)).String()
		if got := taskID(c.cp, c.kind, c.name, c.idx); got != want {
			t.Fatalf("taskID(%q, %q, %q, %d) = %s, want %s", c.cp, c.kind, c.name, c.idx, got, want)
		}
	}
}
