package eventstore

import (
	"container/list"
)

// The store caches folded threads, least recently used evicted first, and
// bounds the cache both in threads (Options.MaxThreads) and in bytes
// (Options.MaxCacheBytes). A thread's bytes are what it folds as stored:
// the events since its last seed, or the snapshot it was restored from and
// the events after (event.Thread.Stored); folded, a thread takes two to
// three times that in memory (measured with the bench's memory phase: 20
// turns of 200-byte messages store about 45 KB and fold into about 100 KB).
// The cache is only a cache: an evicted thread is folded again from the log
// on its next use, to the same state, so eviction never changes what a
// reader sees.

// DefaultMaxCacheBytes is Options.MaxCacheBytes when not set.
const DefaultMaxCacheBytes = 128 << 20

// threadCache holds the store's cached threads. Store.mu guards it.
type threadCache struct {
	byID  map[string]*list.Element // of *cached
	order list.List                // most recently used first
	bytes int64                    // the counted bytes of the cached threads
}

// cacheGet returns the thread's entry, made most recently used, creating it;
// then it evicts past the thread bound. s.mu must be held.
func (s *Store) cacheGet(thread string) *cached {
	tc := &s.cache
	if e, ok := tc.byID[thread]; ok {
		tc.order.MoveToFront(e)
		return e.Value.(*cached)
	}
	if tc.byID == nil {
		tc.byID = make(map[string]*list.Element)
	}
	c := &cached{id: thread}
	c.elem = tc.order.PushFront(c)
	tc.byID[thread] = c.elem
	s.evict(c)
	return c
}

// account counts c's current size and evicts other threads while the cache
// is past its bounds. c.mu must be held (c is not evicted meanwhile); it
// takes s.mu.
func (s *Store) account(c *cached) {
	size := int64(0)
	if c.t != nil {
		size = int64(c.t.Stored())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.elem == nil { // evicted while its caller held it
		return
	}
	s.cache.bytes += size - c.counted
	c.counted = size
	s.evict(c)
}

// evict drops least recently used threads, never keep, while the cache
// holds more threads or bytes than allowed. A thread in use (its lock
// held) is skipped. s.mu must be held.
func (s *Store) evict(keep *cached) {
	tc := &s.cache
	over := func() bool {
		return s.opts.MaxThreads > 0 && tc.order.Len() > s.opts.MaxThreads ||
			s.opts.MaxCacheBytes > 0 && tc.bytes > s.opts.MaxCacheBytes
	}
	for e := tc.order.Back(); e != nil && over(); {
		c := e.Value.(*cached)
		prev := e.Prev()
		if c != keep && c.mu.TryLock() {
			tc.order.Remove(e)
			delete(tc.byID, c.id)
			tc.bytes -= c.counted
			c.elem, c.counted = nil, 0
			c.t = nil // a caller that still holds c folds it again
			c.mu.Unlock()
		}
		e = prev
	}
}

// CachedThreads returns how many threads the store caches and the bytes it
// counts for them (see Options.MaxCacheBytes).
func (s *Store) CachedThreads() (threads int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cache.order.Len(), s.cache.bytes
}
