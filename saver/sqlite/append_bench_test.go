package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend appends to threads of their own from GOMAXPROCS×p
// goroutines (run with -cpu to vary p), on the default synchronous=NORMAL
// and on synchronous=FULL.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []string{"NORMAL", "FULL"} {
		for _, par := range []int{1, 32} {
			b.Run(fmt.Sprintf("sync=%s/par=%d", mode, par), func(b *testing.B) {
				s := open(b, filepath.Join(b.TempDir(), "bench.db")+"?_pragma=synchronous("+mode+")")
				l := s.Log()
				var next atomic.Int64
				b.SetParallelism(par)
				b.RunParallel(func(pb *testing.PB) {
					thread := fmt.Sprint("t", next.Add(1))
					var seq uint64
					for pb.Next() {
						var err error
						if seq, err = l.Append(b.Context(), thread, seq, []byte("payload")); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
