package postgres_test

import (
	"testing"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/savertest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	savertest.Run(t, func(t *testing.T) saver.Saver { return setup(t) })
}
