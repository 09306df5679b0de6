package memory_test

import (
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
	"github.com/jetgraph/jetgraph/saver/eventstore/logtest"
	"github.com/jetgraph/jetgraph/saver/memory"
	"github.com/jetgraph/jetgraph/saver/savertest"
)

func TestConformance(t *testing.T) {
	savertest.Run(t, func(t *testing.T) saver.Saver { return memory.New() })
}

// With a cache of one thread, every other thread is folded again from its
// events whenever it is used: the saver must behave the same.
func TestConformanceWithATinyCache(t *testing.T) {
	savertest.Run(t, func(t *testing.T) saver.Saver {
		return memory.NewWithOptions(eventstore.Options{MaxThreads: 1, MaxCacheBytes: 1})
	})
}

func TestLogConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) eventstore.Log { return memory.NewLog() })
}

func TestLargeValues(t *testing.T) {
	savertest.RunLargeValues(t, func(t *testing.T) saver.Saver { return memory.New() })
}
