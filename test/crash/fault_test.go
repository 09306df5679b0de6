package crash

import (
	"math/rand/v2"
	"testing"
)

// testChecksCatchFaults runs the workflow once, without kills, with a
// fault injected into the child, and checks that the harness's checks
// count it: the checks that pass in testRecovery can fail.
func testChecksCatchFaults(t *testing.T, bin string) {
	t.Parallel()
	for _, tc := range []struct {
		fault, mode string
		count       func(tally) int
	}{
		{"effect-outside-task", "async", func(tl tally) int { return tl.reexecuted }},
		{"unstored-ack", "sync", func(tl tally) int { return tl.lost }},
		{"duplicate-writes", "sync", func(tl tally) int { return tl.duplicate }},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, bin: bin, kind: "sqlite", mode: tc.mode, dir: t.TempDir(), rng: rand.New(rand.NewPCG(1, 2))}
			h.store = stores["sqlite"](t)
			ref, _ := h.drive("reference", false)
			h.fault = tc.fault
			w, _ := h.drive("faulty", false)
			tl := h.check(ref, []workflowRun{w})
			if tc.count(tl) == 0 {
				t.Fatalf("fault %s went unnoticed: %+v", tc.fault, tl)
			}
			t.Logf("fault %s: lost=%d duplicate_commits=%d reexecuted_recorded_tasks=%d; %q", tc.fault, tl.lost, tl.duplicate, tl.reexecuted, tl.problems)
		})
	}
}
