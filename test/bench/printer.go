package main

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"sync"
	"time"
)

// printer writes one JSON object per line.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

// field is one key and value of a figure, kept in order.
type field struct {
	k string
	v any
}

func (p *printer) print(m map[string]any) { p.printOrdered(orderFields(m)) }

func (p *printer) printOrdered(fields []field) {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			v, _ = json.Marshal(err.Error())
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	buf = append(buf, '}', '\n')
	_, _ = p.w.Write(buf)
}

// orderFields puts "bench" and "saver" first, the rest as given by keyOrder.
func orderFields(m map[string]any) []field {
	var out []field
	for _, k := range keyOrder {
		if v, ok := m[k]; ok {
			out = append(out, field{k, v})
			delete(m, k)
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, field{k, m[k]})
	}
	return out
}

var keyOrder = []string{"bench", "saver", "server", "replicas", "what", "threads", "nodes", "concurrency",
	"invokes", "publishes", "runs", "turns", "checkpoints", "ops_per_s", "publishes_per_s", "runs_per_s",
	"invokes_per_s", "p50_us", "p99_us", "checkpoints_per_invoke", "appends_per_invoke", "bytes",
	"loglog_slope_bytes", "latest_median_ms", "mid_median_ms", "median_ms", "ms", "events_read",
	"loglog_slope", "heap_bytes", "heap_base_bytes", "rss_bytes", "rss_base_bytes", "goroutines", "error"}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// percentile returns the q-quantile (0 < q < 1) of ds, nearest rank.
func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]
}

func us(d time.Duration) float64 { return round(float64(d)/float64(time.Microsecond), 1) }

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 4) }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// slope fits log(y) = a + b log(x) by least squares and returns b.
func slope(xs, ys []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(xs))
	for i := range xs {
		lx, ly := math.Log(xs[i]), math.Log(ys[i])
		sx += lx
		sy += ly
		sxx += lx * lx
		sxy += lx * ly
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}
