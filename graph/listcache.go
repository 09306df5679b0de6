package graph

import (
	"bytes"
	"container/list"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A thread's list channels grow by appends (a conversation gains a few
// messages per step), so decoding them again on every call would make each
// call cost the length of the thread. listCache keeps, per recently used
// thread and list channel, the decoded items with the bytes they decode
// from, and decodes only what a new value adds. A list it reads afresh it
// keeps as the very bytes the saver returned (read-only, like every value a
// saver hands out) rather than a copy, and the values it hands to the saver
// are its own buffers, which savers may keep: the saver and the cache share
// a conversation's bytes instead of holding one copy each.
//
// The cache is correct by construction: it hands out items only for bytes
// equal to the bytes they were decoded from, compared byte for byte (or
// known equal because they are the same immutable memory). Its buffers are
// append-only: a position, once written, never changes, and values handed
// out are clipped (s[:n:n]), so a later append or a divergent value (an
// edit, an older checkpoint's branch) never writes where a caller looks;
// divergence moves the cache to new buffers. Callers must not modify the
// items in place, as NodeFunc already requires of nodes.

// DefaultListCacheThreads and DefaultListCacheBytes bound a compiled
// graph's cache of decoded list channels unless WithListCache says
// otherwise: it keeps at most that many threads, and evicts the least
// recently used while the threads it keeps cost more than that many bytes
// (the one used last stays). A thread's cost counts its encoded lists and
// an estimate of their decoded items: about twice the encoded bytes plus
// the items' own size, which for messages of a few hundred bytes is under
// three times what the saver stores for the lists.
const (
	DefaultListCacheThreads = 1024
	DefaultListCacheBytes   = 64 << 20
)

// WithListCache bounds the graph's cache of decoded list channels (see
// DefaultListCacheThreads): at most threads threads and about maxBytes
// bytes. Zero keeps a default. The cache only saves decoding: a thread it
// evicted is read from the saver and decoded again, to the same values.
func WithListCache(threads int, maxBytes int64) Option {
	return func(o *options) { o.listThreads, o.listBytes = threads, maxBytes }
}

// listCache is a compiled graph's cache of decoded list channels, least
// recently used threads evicted first. It is safe for concurrent use. The
// zero value is a cache with the default bounds.
type listCache struct {
	mu      sync.Mutex
	order   list.List // of *threadLists, most recently used first
	threads map[string]*list.Element
	bytes   atomic.Int64 // the cost of the cached threads' lists

	maxThreads int   // 0: DefaultListCacheThreads
	maxBytes   int64 // 0: DefaultListCacheBytes
}

func (c *listCache) limits() (threads int, bytes int64) {
	threads, bytes = c.maxThreads, c.maxBytes
	if threads <= 0 {
		threads = DefaultListCacheThreads
	}
	if bytes <= 0 {
		bytes = DefaultListCacheBytes
	}
	return threads, bytes
}

// threadLists holds one thread's decoded list channels.
type threadLists struct {
	key   string
	cache *listCache
	mu    sync.Mutex
	lists map[*field]*itemList
	size  int64 // cost counted in cache.bytes
	gone  bool  // evicted: its size no longer counts
}

// itemList is one list channel decoded: items[i] decodes from
// b[ends[i-1]:ends[i]]. b and items only grow in place; ends is private.
type itemList struct {
	b     []byte
	items reflect.Value // []T
	ends  []int
	// known is memory outside the cache found equal to b[:len(known)]:
	// stored values of one conversation share a growing buffer, so the
	// older checkpoints a history reads are prefixes of the same memory,
	// equal without comparing them again.
	known []byte
}

// threadKey names a thread's namespace in the cache.
func threadKey(thread, ns string) string { return thread + "\x00" + ns }

// thread returns the lists of the thread key names, creating them; nil for
// an empty key (a point with no thread).
func (c *listCache) thread(key string) *threadLists {
	if key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.threads[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*threadLists)
	}
	if c.threads == nil {
		c.threads = make(map[string]*list.Element)
	}
	tl := &threadLists{key: key, cache: c, lists: make(map[*field]*itemList)}
	c.threads[key] = c.order.PushFront(tl)
	if maxThreads, _ := c.limits(); c.order.Len() > maxThreads {
		c.evict()
	}
	return tl
}

// evict drops the least recently used thread. c.mu must be held.
func (c *listCache) evict() {
	old := c.order.Back()
	tl := old.Value.(*threadLists)
	c.order.Remove(old)
	delete(c.threads, tl.key)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	c.bytes.Add(-tl.size)
	tl.size, tl.gone = 0, true
}

// trim evicts threads while the cached ones cost more than the byte bound.
func (c *listCache) trim() {
	_, maxBytes := c.limits()
	if c.bytes.Load() <= maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.bytes.Load() > maxBytes && c.order.Len() > 1 {
		c.evict()
	}
}

// grew counts what l gained (or lost) since it cost before. tl.mu must be
// held; the caller calls cache.trim once it is released.
func (tl *threadLists) grew(l *itemList, before int64) {
	if d := l.cost() - before; d != 0 && !tl.gone {
		tl.size += d
		tl.cache.bytes.Add(d)
	}
}

// cost estimates the memory l takes: its encoded bytes, about as much
// again for what the decoded items point to (strings and slices decode
// from bytes of about their size), the items themselves and their ends.
func (l *itemList) cost() int64 {
	return int64(2*len(l.b)) + int64(len(l.ends))*(int64(l.items.Type().Elem().Size())+8)
}

func (tl *threadLists) list(f *field) *itemList {
	l := tl.lists[f]
	if l == nil {
		l = &itemList{items: reflect.New(f.typ).Elem()}
		tl.lists[f] = l
	}
	return l
}

// read returns the value of list channel f stored as b, decoding only the
// bytes the cache does not hold, and bytes equal to b that share the
// cache's memory (so a later extend recognizes them without comparing).
// A nil tl decodes b afresh.
func (tl *threadLists) read(f *field, b []byte) (reflect.Value, []byte, error) {
	if tl == nil {
		v, err := f.decode(b)
		return v, b, err
	}
	defer tl.cache.trim()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	l := tl.list(f)
	defer tl.grew(l, l.cost())
	return l.read(f, b)
}

func (l *itemList) read(f *field, b []byte) (reflect.Value, []byte, error) {
	var same int
	if n := min(len(b), len(l.known)); n > 0 && unsafe.SliceData(b) == unsafe.SliceData(l.known) {
		same = n + commonPrefix(b[n:], l.b[min(n, len(l.b)):])
	} else {
		same = commonPrefix(b, l.b)
	}
	if same > len(l.known) && unsafe.SliceData(b) != unsafe.SliceData(l.b) {
		l.known = b[:same:same]
	}
	k := sort.SearchInts(l.ends, same+1) // items whose bytes b holds unchanged
	start := l.end(k)
	if start == len(b) {
		return l.prefix(k)
	}
	items, ends, err := decodeItems(f, b[start:], k)
	if err != nil {
		return reflect.Value{}, nil, err
	}
	if k < len(l.ends) { // b diverges from the cache: move to new buffers
		l.b = l.b[:start:start]
		l.known = l.known[:min(len(l.known), start)]
		l.items = l.items.Slice3(0, k, k)
		l.ends = l.ends[:k]
	}
	if start == 0 {
		// Nothing of b was cached: keep b itself rather than a copy. It
		// never changes (a saver's value, read-only), and it is clipped,
		// so the next add moves to a buffer of the cache's own.
		l.b, l.known = b[:len(b):len(b)], nil
		l.items = items
		l.ends = append(l.ends[:0], ends...)
		return l.prefix(len(l.ends))
	}
	l.add(b[start:], items, ends)
	return l.prefix(len(l.ends))
}

// extend returns cur followed by the items tail encodes (cur encoded as
// curB), when cur is a prefix of the cache (the same memory), curB equals
// its bytes (without a comparison when it is the same memory), and
// the cache either ends there, so tail is appended in place, or continues
// with tail's bytes. Otherwise ok is false and nothing changes. The items
// are decoded from tail, so they equal what a later read decodes.
func (tl *threadLists) extend(f *field, cur reflect.Value, curB, tail []byte) (v reflect.Value, b []byte, ok bool, err error) {
	if tl == nil {
		return v, nil, false, nil
	}
	defer tl.cache.trim()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	l := tl.list(f)
	defer tl.grew(l, l.cost())
	k := cur.Len()
	if k > len(l.ends) || (k > 0 && cur.Pointer() != l.items.Pointer()) {
		return v, nil, false, nil
	}
	start := l.end(k)
	if len(curB) != start || commonPrefix(curB, l.b) != start {
		return v, nil, false, nil
	}
	if len(tail) == 0 {
		v, b, err = l.prefix(k)
		return v, b, true, err
	}
	if k < len(l.ends) {
		n := sort.SearchInts(l.ends, start+len(tail))
		if n == len(l.ends) || l.ends[n] != start+len(tail) || !bytes.Equal(l.b[start:l.ends[n]], tail) {
			return v, nil, false, nil
		}
		v, b, err = l.prefix(n + 1)
		return v, b, true, err
	}
	items, ends, err := decodeItems(f, tail, k)
	if err != nil {
		return v, nil, false, err
	}
	l.add(tail, items, ends)
	v, b, err = l.prefix(len(l.ends))
	return v, b, true, err
}

// end is where item k-1 ends: the length of the first k items' bytes.
func (l *itemList) end(k int) int {
	if k == 0 {
		return 0
	}
	return l.ends[k-1]
}

// add appends items decoded from tail, which end at ends within tail.
func (l *itemList) add(tail []byte, items reflect.Value, ends []int) {
	start := len(l.b)
	l.b = append(l.b, tail...)
	l.items = reflect.AppendSlice(l.items, items)
	for _, e := range ends {
		l.ends = append(l.ends, start+e)
	}
}

// prefix hands out the first k items and their bytes, clipped.
func (l *itemList) prefix(k int) (reflect.Value, []byte, error) {
	end := l.end(k)
	if k == 0 {
		return reflect.New(l.items.Type()).Elem(), l.b[:0:0], nil
	}
	return l.items.Slice3(0, k, k), l.b[:end:end], nil
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	if n > 0 && unsafe.SliceData(a) == unsafe.SliceData(b) {
		return n // the same memory; the cache's buffers never change
	}
	if bytes.Equal(a[:n], b[:n]) {
		return n
	}
	const chunk = 256
	i := 0
	for i+chunk <= n && bytes.Equal(a[i:i+chunk], b[i:i+chunk]) {
		i += chunk
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// decodeItems decodes the items b holds and where each ends in b; first is
// the index of the first one, for errors.
func decodeItems(f *field, b []byte, first int) (reflect.Value, []int, error) {
	v := reflect.New(f.typ).Elem()
	var ends []int
	dec, r, err := newDecoder(b)
	if err != nil {
		return v, nil, fmt.Errorf("decode channel %q from item %d: %w", f.name, first, err)
	}
	elem := f.typ.Elem()
	for r.Len() > 0 {
		item := reflect.New(elem).Elem()
		if err := dec.DecodeValue(item); err != nil {
			return v, nil, fmt.Errorf("decode channel %q item %d: %w", f.name, first+len(ends), err)
		}
		v = reflect.Append(v, item)
		ends = append(ends, len(b)-r.Len())
	}
	return v, ends, nil
}
