// Package savertest is the conformance suite every saver.Saver runs. It
// ports the behaviours of LangGraph's checkpoint conformance suites (Python
// and JS) and adds jetgraph's own promises: conditional writes, tombstones,
// sibling forks, large values and arbitrary thread ids.
//
// A backend's test is a few lines:
//
//	func TestConformance(t *testing.T) {
//		savertest.Run(t, func(t *testing.T) saver.Saver { return memory.New() })
//	}
//
// newSaver is called once per subtest and must return an empty saver that
// shares no state with any other it returned. Optional capabilities
// (saver.Copier, Forker, Pruner, RunDeleter, Committer, Locator) are tested
// when the saver has them and skipped, with the reason, when it does not.
//
// Two more suites sit beside Run, for backends that can take part:
// RunRawDeletion, for a backend whose stored rows a test can read, checks
// that what deletes, prunes and rollbacks drop is gone from storage; and
// RunLargeValues checks values of MaxValueBytes.
package savertest

import (
	"context"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

// NewSaver returns a fresh, empty, isolated saver for one subtest. It
// registers its own cleanup with t.
type NewSaver func(t *testing.T) saver.Saver

// namespaces are the namespaces every per-namespace case runs in.
var namespaces = []string{"", "child"}

// Run runs the whole suite.
func Run(t *testing.T, newSaver NewSaver) {
	t.Run("Put", func(t *testing.T) { perNamespace(t, newSaver, putCases) })
	t.Run("PutWrites", func(t *testing.T) { perNamespace(t, newSaver, writesCases) })
	t.Run("GetTuple", func(t *testing.T) { perNamespace(t, newSaver, getCases) })
	t.Run("List", func(t *testing.T) { runList(t, newSaver) })
	t.Run("DeleteThread", func(t *testing.T) { runCases(t, newSaver, deleteCases) })
	t.Run("Concurrency", func(t *testing.T) { runCases(t, newSaver, concurrencyCases) })
	t.Run("ThreadIDs", func(t *testing.T) {
		runThreadIDs(t, newSaver)
		runThreadIDLimits(t, newSaver)
	})
	t.Run("Optional", func(t *testing.T) { runCases(t, newSaver, optionalCases) })
	t.Run("Lease", func(t *testing.T) { runCases(t, newSaver, leaseCases) })
	t.Run("Hostile", func(t *testing.T) { runCases(t, newSaver, hostileCases) })
}

// testCase is one behaviour; ns is the namespace it runs in.
type testCase struct {
	name string
	run  func(t *testing.T, s saver.Saver, ns string)
}

func perNamespace(t *testing.T, newSaver NewSaver, cases []testCase) {
	for _, ns := range namespaces {
		t.Run("ns="+nsName(ns), func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, newSaver(t), ns)
				})
			}
		})
	}
}

func runCases(t *testing.T, newSaver NewSaver, cases []testCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newSaver(t), "")
		})
	}
}

func nsName(ns string) string {
	if ns == "" {
		return "root"
	}
	return ns
}

func ctx(t *testing.T) context.Context { return t.Context() }
