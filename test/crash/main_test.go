package crash

import (
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
