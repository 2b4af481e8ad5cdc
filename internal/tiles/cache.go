package tiles

import (
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache is an LRU of encoded tiles bounded by their total size in bytes.
// Keys carry the layer's data version, so stale entries are never hit and
// simply age out.
type Cache struct {
	mu       sync.Mutex
	lru      *lru.LRU[string, []byte]
	size     int64
	maxBytes int64

	hits, misses, evictions atomic.Uint64
}

// maxEntry keeps one huge tile from flushing the cache.
const maxEntryFraction = 16

// NewCache returns a cache of at most maxBytes; 0 disables caching.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{maxBytes: maxBytes}
	// The entry count is bounded by bytes, not by the LRU itself.
	c.lru, _ = lru.NewLRU[string, []byte](1<<30, func(_ string, v []byte) {
		c.size -= int64(len(v))
		c.evictions.Add(1)
	})
	return c
}

// Enabled reports whether the cache keeps anything.
func (c *Cache) Enabled() bool { return c.maxBytes > 0 }

// Get returns the tile stored under key.
func (c *Cache) Get(key string) ([]byte, bool) {
	if c.maxBytes <= 0 {
		return nil, false
	}
	c.mu.Lock()
	v, ok := c.lru.Get(key)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

// Add stores a tile, evicting the least recently used ones beyond the
// size bound.
func (c *Cache) Add(key string, data []byte) {
	n := int64(len(data))
	if c.maxBytes <= 0 || n > c.maxBytes/maxEntryFraction {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(key) {
		return
	}
	c.lru.Add(key, data)
	c.size += n
	for c.size > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

// Stats returns the number of tiles and bytes held.
func (c *Cache) Stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.size
}

// CacheStats are a cache's figures for metrics.
type CacheStats struct {
	Entries                 int
	Bytes, MaxBytes         int64
	Hits, Misses, Evictions uint64 // since start; a disabled cache counts nothing
}

// Counters returns the cache's figures.
func (c *Cache) Counters() CacheStats {
	n, b := c.Stats()
	return CacheStats{Entries: n, Bytes: b, MaxBytes: c.maxBytes, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}
