package open

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/eventstore"
)

// The URL query parameters that set retention on any saver
// (eventstore.Retention): ttl=DURATION makes threads idle for longer
// expire, ttl_sweep=DURATION sets how often the sweeper runs ("off": never;
// threads then expire when read). Durations are Go's: 30m, 24h, 168h.
const (
	ttlParam   = "ttl"
	sweepParam = "ttl_sweep"
)

// takeRetention removes the retention parameters from rawURL's query and
// returns what they ask for. A URL without them is returned unchanged.
func takeRetention(rawURL string) (string, eventstore.Retention, error) {
	var r eventstore.Retention
	base, query, ok := cutLast(rawURL, "?")
	if !ok {
		return rawURL, r, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil || !q.Has(ttlParam) && !q.Has(sweepParam) {
		return rawURL, r, nil // not ours to judge: the backend parses its own query
	}
	if v := q.Get(ttlParam); v != "" {
		if r.TTL, err = time.ParseDuration(v); err != nil || r.TTL <= 0 {
			return "", r, saver.Invalid("saver url", fmt.Sprintf("%s=%q: want a positive duration such as 24h", ttlParam, v))
		}
	}
	if v := q.Get(sweepParam); v != "" {
		if r.TTL == 0 {
			return "", r, saver.Invalid("saver url", sweepParam+" without "+ttlParam)
		}
		if v == "off" {
			r.SweepEvery = -1
		} else if r.SweepEvery, err = time.ParseDuration(v); err != nil || r.SweepEvery <= 0 {
			return "", r, saver.Invalid("saver url", fmt.Sprintf("%s=%q: want a positive duration such as 10m, or off", sweepParam, v))
		}
	}
	q.Del(ttlParam)
	q.Del(sweepParam)
	if len(q) == 0 {
		return base, r, nil
	}
	return base + "?" + q.Encode(), r, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
