package natsjs_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsTheClientOnly: a program that uses the JetStream saver must
// not compile nats-server in (STYLE: a backend imports its client, not
// its server). Embedded servers live in natsembed, used by saver/open.
func TestImportsTheClientOnly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/jetgraph/jetgraph/saver/natsjs").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/nats-io/nats-server") || dep == "github.com/jetgraph/jetgraph/natsembed" {
			t.Errorf("saver/natsjs depends on %s", dep)
		}
	}
}
