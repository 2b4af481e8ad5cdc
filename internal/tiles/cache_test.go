package tiles

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// tile returns n bytes that say which key they belong to.
func tile(key string, n int) []byte {
	b := bytes.Repeat([]byte{'.'}, n)
	copy(b, key)
	return b
}

// wantCached fails unless exactly the keys in want are in c.
func wantCached(tb testing.TB, c *Cache, all []string, want ...string) {
	tb.Helper()
	in := map[string]bool{}
	for _, k := range want {
		in[k] = true
	}
	for _, k := range all {
		// Contains, not Get: a Get would change the order under test.
		c.mu.Lock()
		got := c.lru.Contains(k)
		c.mu.Unlock()
		if got != in[k] {
			tb.Errorf("cached(%q) = %v, want %v", k, got, in[k])
		}
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	// 1600 bytes hold sixteen tiles of 100 (the largest cached, 1/16).
	c := NewCache(1600)
	var keys []string
	for i := range 16 {
		k := "t" + strconv.Itoa(i)
		keys = append(keys, k)
		c.Add(k, tile(k, 100))
	}
	if n, size := c.Stats(); n != 16 || size != 1600 {
		t.Fatalf("Stats() = %d, %d, want 16, 1600", n, size)
	}
	// A read makes t0 the most recently used: t1 goes first.
	if got, ok := c.Get("t0"); !ok || !bytes.Equal(got, tile("t0", 100)) {
		t.Fatalf("Get(t0) = %q, %v, want its tile", got, ok)
	}
	c.Add("t16", tile("t16", 100))
	keys = append(keys, "t16")
	wantCached(t, c, keys, append([]string{"t0"}, keys[2:]...)...)
	if _, ok := c.Get("t1"); ok {
		t.Fatalf("Get(t1) hit after it was evicted")
	}

	// Each tile added evicts the oldest (t2, then t3) until the total is
	// within the bound again.
	c.Add("half", tile("half", 50))
	if n, size := c.Stats(); n != 16 || size != 1550 {
		t.Fatalf("Stats() = %d, %d, want 16, 1550", n, size)
	}
	keys = append(keys, "half")
	wantCached(t, c, keys, append([]string{"t0", "half"}, keys[3:17]...)...)
	c.Add("full", tile("full", 100))
	keys = append(keys, "full")
	wantCached(t, c, keys, append([]string{"t0", "half", "full"}, keys[4:17]...)...)
	if n, size := c.Stats(); n != 16 || size != 1550 {
		t.Fatalf("Stats() = %d, %d, want 16, 1550", n, size)
	}
	// For /metrics: one hit (t0), one miss (t1), three evictions (t1, t2, t3).
	want := CacheStats{Entries: 16, Bytes: 1550, MaxBytes: 1600, Hits: 1, Misses: 1, Evictions: 3}
	if got := c.Counters(); got != want {
		t.Errorf("Counters() = %+v, want %+v", got, want)
	}
}

func TestCacheSize(t *testing.T) {
	tests := []struct {
		name        string
		maxBytes    int64
		adds        []int // sizes of tiles added under keys k0, k1, ...
		wantEntries int
		wantBytes   int64
		wantCached  []bool
	}{
		{"disabled", 0, []int{1, 10}, 0, 0, []bool{false, false}},
		{"negative disables", -1600, []int{1}, 0, 0, []bool{false}},
		{"empty tile", 1600, []int{0}, 1, 0, []bool{true}},
		{"a sixteenth fits", 1600, []int{100}, 1, 100, []bool{true}},
		{"over a sixteenth is not cached", 1600, []int{101, 20}, 1, 20, []bool{false, true}},
		{"tiny cache holds only empty tiles", 15, []int{1, 0}, 1, 0, []bool{false, true}},
		{"sizes add up", 1 << 20, []int{1000, 2000, 3000}, 3, 6000, []bool{true, true, true}},
		{"one tile evicts two small ones", 160, []int{5, 5, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, 16, 160,
			[]bool{false, false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true}},
		{"evicted bytes are given back", 160, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, 16, 160, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(tt.maxBytes)
			for i, n := range tt.adds {
				k := "k" + strconv.Itoa(i)
				c.Add(k, tile(k, n))
			}
			if n, size := c.Stats(); n != tt.wantEntries || size != tt.wantBytes {
				t.Fatalf("Stats() = %d, %d, want %d, %d", n, size, tt.wantEntries, tt.wantBytes)
			}
			for i, want := range tt.wantCached {
				k := "k" + strconv.Itoa(i)
				got, ok := c.Get(k)
				if ok != want || (ok && len(got) != tt.adds[i]) {
					t.Errorf("Get(%s) = %d bytes, %v, want %v", k, len(got), ok, want)
				}
			}
		})
	}
}

func TestCacheAddTwice(t *testing.T) {
	c := NewCache(1600)
	c.Add("k", tile("first", 50))
	c.Add("k", tile("second", 80))
	if n, size := c.Stats(); n != 1 || size != 50 {
		t.Fatalf("Stats() after adding a key twice = %d, %d, want 1, 50", n, size)
	}
	// Keys carry the data version: the same key is the same tile, so the
	// first stays.
	if got, _ := c.Get("k"); !bytes.HasPrefix(got, []byte("first")) {
		t.Fatalf("Get(k) = %q, want the first tile", got)
	}
}

// TestCacheConcurrent hammers one cache from many goroutines (run with
// -race) and then checks that its byte count is the sum of what it holds.
func TestCacheConcurrent(t *testing.T) {
	const maxBytes = 64 << 10
	c := NewCache(maxBytes)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprintf("%d/%d", (g*7+i)%300, i%5)
				if data, ok := c.Get(k); ok {
					if !bytes.HasPrefix(data, []byte(k+".")) {
						t.Errorf("Get(%s) = %q, another key's tile", k, data[:min(len(data), 20)])
						return
					}
					continue
				}
				c.Add(k, tile(k+".", 64+(i*37)%(maxBytes/16-64)))
				if _, size := c.Stats(); size > maxBytes {
					t.Errorf("Stats() = %d bytes, over the bound %d", size, maxBytes)
					return
				}
			}
		})
	}
	wg.Wait()
	n, size := c.Stats()
	var sum int64
	for _, k := range c.lru.Keys() {
		v, _ := c.lru.Peek(k)
		sum += int64(len(v))
	}
	if n == 0 || size != sum || size > maxBytes {
		t.Fatalf("Stats() = %d, %d; the entries hold %d bytes (bound %d)", n, size, sum, maxBytes)
	}
}

func TestTileForms(t *testing.T) {
	t.Parallel()
	raw := []byte("\x1a\x05layer and more bytes of a tile, repeated, repeated, repeated")
	built := Tile{Raw: raw}
	gz, err := built.Gzip()
	if err != nil || len(gz) == 0 || string(gz) == string(raw) {
		t.Fatalf("Gzip() of a built tile = %d bytes, %v; want compressed bytes", len(gz), err)
	}
	hit := Tile{Gzipped: gz} // what a cache hit holds
	plain, err := hit.Plain()
	if err != nil || string(plain) != string(raw) {
		t.Errorf("Plain() of a cached tile = %q, %v; want the raw tile back", plain, err)
	}
	if again, _ := hit.Gzip(); string(again) != string(gz) {
		t.Error("Gzip() of a cached tile recompressed it")
	}
	var empty Tile
	if p, err := empty.Plain(); err != nil || len(p) != 0 {
		t.Errorf("Plain() of an empty tile = %q, %v", p, err)
	}
	if g, err := empty.Gzip(); err != nil || len(g) != 0 {
		t.Errorf("Gzip() of an empty tile = %q, %v; want nothing, so it is sent as an empty body", g, err)
	}
}
