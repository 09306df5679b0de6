package saver

import (
	"strings"
	"sync"
	"testing"
)

func TestNewCheckpointIDIsStrictlyIncreasing(t *testing.T) {
	t.Parallel()
	prev := ""
	for range 100_000 { // many per millisecond: the counter must carry
		id := NewCheckpointID("")
		if id <= prev {
			t.Fatalf("%s after %s", id, prev)
		}
		if id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("%s is not a UUIDv7", id)
		}
		prev = id
	}
}

func TestNewCheckpointIDSortsAfterTheGivenID(t *testing.T) {
	t.Parallel()
	// An id from a host whose clock runs ahead.
	ahead := "ffffffff-fff0-7fff-bfff-ffffffffffff"
	if id := NewCheckpointID(ahead); id <= ahead {
		t.Fatalf("%s does not sort after %s", id, ahead)
	}
	if id := NewCheckpointID("not-a-uuid"); id == "" {
		t.Fatal("a malformed floor must be ignored")
	}
}

func TestNewCheckpointIDIsUniqueAcrossGoroutines(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				id := NewCheckpointID("")
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestMatchFilterComparesByValueNotType(t *testing.T) {
	t.Parallel()
	md := Metadata{Source: SourceLoop, Step: 3, Extra: map[string]any{"n": int64(2), "m": map[string]any{"a": "b"}}}
	for _, tc := range []struct {
		filter map[string]any
		want   bool
	}{
		{nil, true},
		{map[string]any{"source": "loop", "step": 3}, true},
		{map[string]any{"n": 2}, true},
		{map[string]any{"n": uint8(2)}, true},
		{map[string]any{"m": map[string]any{"a": "b"}}, true},
		{map[string]any{"n": "2"}, false},
		{map[string]any{"source": "input"}, false},
		{map[string]any{"absent": nil}, false},
	} {
		if got := MatchFilter(md, tc.filter); got != tc.want {
			t.Errorf("MatchFilter(%v) = %v, want %v", tc.filter, got, tc.want)
		}
	}
}
