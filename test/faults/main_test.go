package faults_test

import (
	"flag"
	"os"
	"testing"

	"github.com/jetgraph/jetgraph/internal/pgtest"
)

var (
	rounds  = flag.Int("faults.rounds", 1, "how many times each fault is repeated")
	threads = flag.Int("faults.threads", 50, "threads written concurrently")
	acksPer = flag.Int("faults.acks", 150, "acknowledged writes to wait for in each phase")
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
