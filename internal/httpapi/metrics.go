package httpapi

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cremasco/atlante/internal/store"
	"github.com/cremasco/atlante/internal/tiles"
)

// metrics are the service's Prometheus collectors: request durations by
// route pattern, the Go runtime and the process, the database pools and
// the tile cache.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec
}

func newMetrics(pools map[string]*pgxpool.Pool, ts *tiles.Service) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atlante_http_request_duration_seconds",
			Help:    "Duration of HTTP requests by method, route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
	}
	reg.MustRegister(m.requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if len(pools) > 0 {
		reg.MustRegister(poolCollector(pools))
	}
	if ts != nil {
		reg.MustRegister(tileCacheCollector{ts})
	}
	return m
}

// watchReads adds the read replica's figures, when there is one.
func (m *metrics) watchReads(reads *store.Reads) {
	if reads != nil && reads.Replica() != nil {
		m.registry.MustRegister(readsCollector{reads})
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// poolCollector reads pgxpool's statistics of each pool (by role: "write",
// "read") when scraped.
type poolCollector map[string]*pgxpool.Pool

var (
	poolLabels       = []string{"pool"}
	poolAcquired     = prometheus.NewDesc("atlante_db_pool_acquired_connections", "Connections in use.", poolLabels, nil)
	poolIdle         = prometheus.NewDesc("atlante_db_pool_idle_connections", "Idle connections.", poolLabels, nil)
	poolConstructing = prometheus.NewDesc("atlante_db_pool_constructing_connections", "Connections being opened.", poolLabels, nil)
	poolTotal        = prometheus.NewDesc("atlante_db_pool_total_connections", "Open connections (acquired, idle and being opened).", poolLabels, nil)
	poolMax          = prometheus.NewDesc("atlante_db_pool_max_connections", "Maximum size of the pool.", poolLabels, nil)
	poolAcquires     = prometheus.NewDesc("atlante_db_pool_acquires_total", "Connections acquired from the pool.", poolLabels, nil)
	poolAcquireTime  = prometheus.NewDesc("atlante_db_pool_acquire_duration_seconds_total", "Time spent acquiring connections.", poolLabels, nil)
	poolEmptyWaits   = prometheus.NewDesc("atlante_db_pool_empty_acquires_total", "Acquires that waited because the pool was empty.", poolLabels, nil)
	poolEmptyWait    = prometheus.NewDesc("atlante_db_pool_empty_acquire_wait_seconds_total", "Time spent waiting for a connection in an empty pool.", poolLabels, nil)
	poolCanceled     = prometheus.NewDesc("atlante_db_pool_canceled_acquires_total", "Acquires cancelled by their context.", poolLabels, nil)
	poolNewConns     = prometheus.NewDesc("atlante_db_pool_new_connections_total", "Connections opened.", poolLabels, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolConstructing, poolTotal, poolMax, poolAcquires, poolAcquireTime, poolEmptyWaits, poolEmptyWait, poolCanceled, poolNewConns} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, p := range c {
		s := p.Stat()
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, name)
		}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, name)
		}
		gauge(poolAcquired, float64(s.AcquiredConns()))
		gauge(poolIdle, float64(s.IdleConns()))
		gauge(poolConstructing, float64(s.ConstructingConns()))
		gauge(poolTotal, float64(s.TotalConns()))
		gauge(poolMax, float64(s.MaxConns()))
		counter(poolAcquires, float64(s.AcquireCount()))
		counter(poolAcquireTime, s.AcquireDuration().Seconds())
		counter(poolEmptyWaits, float64(s.EmptyAcquireCount()))
		counter(poolEmptyWait, s.EmptyAcquireWaitTime().Seconds())
		counter(poolCanceled, float64(s.CanceledAcquireCount()))
		counter(poolNewConns, float64(s.NewConnsCount()))
	}
}

// tileCacheCollector reads the tile cache's figures when scraped.
type tileCacheCollector struct{ tiles *tiles.Service }

var (
	cacheHits      = prometheus.NewDesc("atlante_tile_cache_hits_total", "Tiles served from the cache.", nil, nil)
	cacheMisses    = prometheus.NewDesc("atlante_tile_cache_misses_total", "Tiles looked up in the cache and not found (then built).", nil, nil)
	cacheEvictions = prometheus.NewDesc("atlante_tile_cache_evictions_total", "Tiles evicted to keep the cache within its size.", nil, nil)
	cacheEntries   = prometheus.NewDesc("atlante_tile_cache_entries", "Tiles held in the cache.", nil, nil)
	cacheBytes     = prometheus.NewDesc("atlante_tile_cache_bytes", "Bytes of tiles held in the cache.", nil, nil)
	cacheMaxBytes  = prometheus.NewDesc("atlante_tile_cache_max_bytes", "Size bound of the cache (0: disabled).", nil, nil)
)

func (c tileCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHits, cacheMisses, cacheEvictions, cacheEntries, cacheBytes, cacheMaxBytes} {
		ch <- d
	}
}

func (c tileCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.tiles.CacheStats()
	ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(cacheMaxBytes, prometheus.GaugeValue, float64(s.MaxBytes))
}

// readsCollector says where public reads go and how far the read replica
// is behind, as Reads last measured it.
type readsCollector struct{ r *store.Reads }

var (
	replicaLag  = prometheus.NewDesc("atlante_db_replica_lag_seconds", "Replay lag of the read replica behind the primary, as last measured (0 when caught up).", nil, nil)
	replicaUp   = prometheus.NewDesc("atlante_db_replica_up", "1 when the read replica is a standby within --replica-max-lag, 0 otherwise.", nil, nil)
	readReplica = prometheus.NewDesc("atlante_db_reads_from_replica", "1 while public reads go to the read replica, 0 while they go to the primary.", nil, nil)
)

func (c readsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaLag
	ch <- replicaUp
	ch <- readReplica
}

func (c readsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.r.Status()
	b := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, st.Lag.Seconds())
	ch <- prometheus.MustNewConstMetric(replicaUp, prometheus.GaugeValue, b(st.Replica == store.ReplicaOK))
	ch <- prometheus.MustNewConstMetric(readReplica, prometheus.GaugeValue, b(st.FromReplica))
}
