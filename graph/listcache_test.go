package graph

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/jetgraph/jetgraph/message"
)

// cacheCase drives one list channel through a thread's cache the way runs
// do: reducers extend the value a read returned, and reads bring back any
// earlier value (an older checkpoint, another branch), as fresh bytes.
type cacheCase struct {
	t       *testing.T
	rng     *rand.Rand
	f       *field
	tl      *threadLists
	cur     reflect.Value // the value the next reduce starts from
	curB    []byte
	seen    [][]byte // every encoding made so far
	handed  []reflect.Value
	copies  []any // deep copies of handed, taken when handed out
	nextID  int
	reduces int
}

func setupCache(t *testing.T, seed uint64, typ reflect.Type, reducer string) *cacheCase {
	t.Helper()
	f := &field{name: "ch", typ: typ, list: true, reducer: reducer}
	return &cacheCase{
		t: t, rng: rand.New(rand.NewPCG(seed, 7)), f: f,
		tl:  new(listCache).thread("t"),
		cur: reflect.New(typ).Elem(),
	}
}

// check fails unless v (encoded b) is what a fresh decode of b gives (an
// empty list may be nil or not, as the messages reducer leaves it), and
// remembers v to check later that nothing wrote into it.
func (c *cacheCase) check(what string, v reflect.Value, b []byte) {
	c.t.Helper()
	fresh, err := c.f.decode(b)
	if err != nil {
		c.t.Fatalf("%s: fresh decode: %v", what, err)
	}
	if (v.Len() > 0 || fresh.Len() > 0) && !reflect.DeepEqual(v.Interface(), fresh.Interface()) {
		c.t.Fatalf("%s: cached value differs from a fresh decode:\n got %#v\nwant %#v", what, v.Interface(), fresh.Interface())
	}
	if v.Cap() != v.Len() {
		c.t.Fatalf("%s: a value with spare capacity (len %d, cap %d) lets a caller's append write into shared memory", what, v.Len(), v.Cap())
	}
	c.handed = append(c.handed, v)
	c.copies = append(c.copies, fresh.Interface())
}

// reduce applies an update through the cache and checks the result.
func (c *cacheCase) reduce(upd reflect.Value) {
	c.t.Helper()
	updB, err := c.f.encode(upd)
	if err != nil {
		c.t.Fatal(err)
	}
	upd, err = c.f.decode(updB) // as apply hands it to reduce
	if err != nil {
		c.t.Fatal(err)
	}
	v, b, err := c.f.reduce(c.tl, c.cur, c.curB, c.curB != nil, upd, updB)
	if err != nil {
		c.t.Fatal(err)
	}
	c.reduces++
	c.check(fmt.Sprintf("reduce %d", c.reduces), v, b)
	c.cur, c.curB = v, b
	c.seen = append(c.seen, bytes.Clone(b))
}

// read reads an earlier encoding back, as a saver returns it (a copy), and
// continues from it.
func (c *cacheCase) read() {
	c.t.Helper()
	if len(c.seen) == 0 {
		return
	}
	b := bytes.Clone(c.seen[c.rng.IntN(len(c.seen))])
	v, cb, err := c.tl.read(c.f, b)
	if err != nil {
		c.t.Fatal(err)
	}
	if !bytes.Equal(cb, b) {
		c.t.Fatalf("read returned other bytes than it was given")
	}
	c.check("read", v, b)
	c.cur, c.curB = v, cb
}

// untouched fails if a value handed out earlier changed since.
func (c *cacheCase) untouched() {
	c.t.Helper()
	for i, v := range c.handed {
		if (v.Len() > 0 || reflect.ValueOf(c.copies[i]).Len() > 0) && !reflect.DeepEqual(v.Interface(), c.copies[i]) {
			c.t.Fatalf("value %d changed after it was handed out: %#v, was %#v", i, v.Interface(), c.copies[i])
		}
	}
}

func (c *cacheCase) message() message.Message {
	c.nextID++
	m := message.AI(fmt.Sprintf("message %d %s", c.nextID, bytes.Repeat([]byte("x"), c.rng.IntN(40))))
	if c.rng.IntN(2) == 0 {
		m.ID = fmt.Sprint("id-", c.nextID)
	}
	if c.rng.IntN(5) == 0 {
		m.ToolCalls = []message.ToolCall{{ID: "call", Name: "search", Args: "{}"}}
	}
	return m
}

// messagesUpdate is a random update for the messages reducer: new
// messages, edits and removals by id, repeats of unchanged messages.
func (c *cacheCase) messagesUpdate() reflect.Value {
	cur := c.cur.Interface().([]message.Message)
	var upd []message.Message
	for range 1 + c.rng.IntN(3) {
		switch op := c.rng.IntN(10); {
		case op < 6 || len(cur) == 0:
			upd = append(upd, c.message())
		case op < 7:
			upd = append(upd, cur[c.rng.IntN(len(cur))]) // unchanged
		case op < 9:
			m := cur[c.rng.IntN(len(cur))]
			m.Content += " (edited)"
			upd = append(upd, m)
		default:
			upd = append(upd, message.Remove(cur[c.rng.IntN(len(cur))].ID))
		}
	}
	return reflect.ValueOf(upd)
}

func TestListCacheGivesWhatAFreshDecodeGives(t *testing.T) {
	t.Parallel()
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("messages/", seed), func(t *testing.T) {
			t.Parallel()
			c := setupCache(t, seed, messagesType, reducerMessages)
			for range 200 {
				if c.rng.IntN(4) == 0 {
					c.read()
				} else {
					c.reduce(c.messagesUpdate())
				}
			}
			c.untouched()
		})
		t.Run(fmt.Sprint("append-any/", seed), func(t *testing.T) {
			t.Parallel()
			c := setupCache(t, seed, reflect.TypeFor[[]any](), reducerAppend)
			for i := range 200 {
				if c.rng.IntN(4) == 0 {
					c.read()
					continue
				}
				// ints decode as int64 and maps as map[string]any: the
				// cache must hold the decoded items, not the written ones.
				upd := []any{i, fmt.Sprint("s", i), map[string]any{"n": i, "list": []int{i}}}
				c.reduce(reflect.ValueOf(upd[:1+c.rng.IntN(3)]))
			}
			c.untouched()
		})
	}
}

func TestListCacheReadsOlderValuesWithoutDecoding(t *testing.T) {
	t.Parallel()
	c := setupCache(t, 1, messagesType, reducerMessages)
	for range 50 {
		c.reduce(reflect.ValueOf([]message.Message{c.message()}))
	}
	l := c.tl.lists[c.f]
	items := l.items.Pointer()
	for _, b := range slices.Backward(c.seen) {
		v, _, err := c.tl.read(c.f, bytes.Clone(b))
		if err != nil {
			t.Fatal(err)
		}
		c.check("older", v, b)
		if v.Pointer() != items {
			t.Fatal("an older value was decoded again, not cut from the cache")
		}
	}
	c.untouched()
}

func TestListCacheRejectsACorruptSuffix(t *testing.T) {
	t.Parallel()
	c := setupCache(t, 2, messagesType, reducerMessages)
	c.reduce(reflect.ValueOf([]message.Message{c.message(), c.message()}))
	bad := append(bytes.Clone(c.curB), 0xc1) // 0xc1 is never valid msgpack
	if _, _, err := c.tl.read(c.f, bad); err == nil {
		t.Fatal("a corrupt value decoded")
	}
	v, _, err := c.tl.read(c.f, bytes.Clone(c.curB))
	if err != nil {
		t.Fatal(err)
	}
	c.check("after corrupt", v, c.curB)
}

func TestListCacheIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	c := setupCache(t, 3, messagesType, reducerMessages)
	for range 40 {
		c.reduce(reflect.ValueOf([]message.Message{c.message()}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 200 {
				b := c.seen[rng.IntN(len(c.seen))]
				v, _, err := c.tl.read(c.f, bytes.Clone(b))
				if err == nil {
					var fresh reflect.Value
					fresh, err = c.f.decode(b)
					if err == nil && !reflect.DeepEqual(v.Interface(), fresh.Interface()) {
						err = fmt.Errorf("goroutine %d: cached value differs from a fresh decode", g)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestListCacheEvictsTheLeastRecentlyUsedThread(t *testing.T) {
	t.Parallel()
	var lc listCache
	first := lc.thread("first")
	for i := range DefaultListCacheThreads {
		lc.thread(fmt.Sprint("t", i))
	}
	if lc.order.Len() != DefaultListCacheThreads {
		t.Fatalf("cache holds %d threads, want %d", lc.order.Len(), DefaultListCacheThreads)
	}
	if lc.thread("first") == first {
		t.Fatal("the least recently used thread was not evicted")
	}
	if lc.thread("") != nil {
		t.Fatal("a point without a thread got a cache")
	}
}

func TestListCacheEvictsThreadsPastItsByteBudget(t *testing.T) {
	t.Parallel()
	var lc listCache
	f := &field{name: "ch", typ: reflect.TypeFor[[]string](), list: true, reducer: reducerAppend}
	item, err := f.encode(reflect.ValueOf([]string{string(bytes.Repeat([]byte("x"), 1<<20))}))
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for range 40 {
		b = append(b, item...)
	}
	for i := range 4 { // 4 threads of 40 MiB
		if _, _, err := lc.thread(fmt.Sprint("t", i)).read(f, b); err != nil {
			t.Fatal(err)
		}
	}
	want := lc.threads["t3"].Value.(*threadLists).lists[f].cost()
	if n, size := lc.order.Len(), lc.bytes.Load(); n != 1 || size != want || size < int64(len(b)) {
		t.Fatalf("cache holds %d threads costing %d bytes; want the last thread only, %d bytes", n, size, want)
	}
	if _, ok := lc.threads["t3"]; !ok {
		t.Fatal("the thread used last was evicted")
	}
}

func TestListCacheStaysWithinItsByteBoundUnderManyThreads(t *testing.T) {
	t.Parallel()
	const bound = 256 << 10
	lc := &listCache{maxThreads: 100000, maxBytes: bound}
	f := &field{name: "ch", typ: messagesType, list: true, reducer: reducerMessages}
	const threads, workers = 400, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			enc := map[int][]byte{} // each thread's list, as a saver would return it
			for round := range 10 {
				for i := w; i < threads; i += workers {
					tl := lc.thread(fmt.Sprint("t", i))
					cur, curB, err := tl.read(f, bytes.Clone(enc[i]))
					if err == nil {
						msg := message.AI(fmt.Sprintf("turn %d %s", round, bytes.Repeat([]byte("x"), 100+rng.IntN(200))))
						msg.ID = fmt.Sprint("m", round)
						upd := reflect.ValueOf([]message.Message{msg})
						var updB []byte
						if updB, err = f.encode(upd); err == nil {
							cur, curB, err = f.reduce(tl, cur, curB, true, upd, updB)
						}
					}
					if err == nil {
						var fresh reflect.Value
						if fresh, err = f.decode(curB); err == nil && !reflect.DeepEqual(cur.Interface(), fresh.Interface()) {
							err = fmt.Errorf("thread %d: cached value differs from a fresh decode", i)
						}
					}
					if err != nil {
						errs <- err
						return
					}
					enc[i] = curB
					// Each worker holds one thread, which may be past the bound
					// while it is used, never by more than the threads in use.
					if b := lc.bytes.Load(); b > bound+workers*64<<10 {
						errs <- fmt.Errorf("the cache costs %d bytes, bound %d", b, bound)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var sum int64
	for e := lc.order.Front(); e != nil; e = e.Next() {
		tl := e.Value.(*threadLists)
		var cost int64
		for _, l := range tl.lists {
			cost += l.cost()
		}
		if cost != tl.size {
			t.Fatalf("thread %s counts %d bytes, its lists cost %d", tl.key, tl.size, cost)
		}
		sum += cost
	}
	if b := lc.bytes.Load(); b != sum || b > bound || lc.order.Len() >= threads {
		t.Fatalf("the cache holds %d of %d threads and counts %d bytes (its threads cost %d); want at most %d", lc.order.Len(), threads, b, sum, bound)
	}
}

// A list read afresh is kept as the caller's memory (a saver's value,
// read-only), not copied, and later reads of it compare nothing.
func TestListCacheKeepsAFreshValueWithoutCopying(t *testing.T) {
	t.Parallel()
	c := setupCache(t, 4, messagesType, reducerMessages)
	for range 10 {
		c.reduce(reflect.ValueOf([]message.Message{c.message()}))
	}
	b := bytes.Clone(c.curB)
	tl := new(listCache).thread("fresh")
	v, cb, err := tl.read(c.f, b)
	if err != nil {
		t.Fatal(err)
	}
	c.check("fresh", v, b)
	if unsafe.SliceData(cb) != unsafe.SliceData(b) || unsafe.SliceData(tl.lists[c.f].b) != unsafe.SliceData(b) {
		t.Fatal("a fresh read copied the bytes it was given")
	}
	// Appending moves the cache to a buffer of its own: b never changes.
	before := bytes.Clone(b)
	c.tl, c.cur, c.curB = tl, v, cb
	c.reduce(reflect.ValueOf([]message.Message{c.message()}))
	if !bytes.Equal(b, before) {
		t.Fatal("an append wrote into the caller's bytes")
	}
	c.untouched()
}
