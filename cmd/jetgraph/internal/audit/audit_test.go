package audit

import (
	"strings"
	"testing"

	"github.com/jetgraph/jetgraph/event"
)

func TestEveryRecordKindHasAnAuditLine(t *testing.T) {
	t.Parallel()
	for _, k := range event.Kinds {
		if line := describe(event.Sample(k)); strings.HasPrefix(line, "unknown record kind") {
			t.Errorf("kind %q: audit prints %q", k, line)
		}
	}
}
