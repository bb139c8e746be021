// Package metrics exposes phonghop's Prometheus metrics: HTTP requests and
// errors, live connections and events, ballots, and the object store's latency
// and errors. cmd/phonghop creates one Metrics, wraps the store with it, hands
// it to the server as its observer and serves Handler at /metrics.
package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phonghop/phonghop/audit"
	"github.com/phonghop/phonghop/live"
	"github.com/phonghop/phonghop/storage"
)

// Metrics holds the registry and the collectors.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	ballots    *prometheus.CounterVec
	storeTime  *prometheus.HistogramVec
	storeFails *prometheus.CounterVec
}

// New registers every collector, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phonghop_http_requests_total",
		Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "phonghop_http_request_duration_seconds",
		Help: "HTTP request latency by route.", Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phonghop_http_errors_total",
		Help: "Error answers by contract error code."}, []string{"code"})
	m.ballots = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phonghop_ballots_total",
		Help: "Ballots by outcome: accepted, or refused with an error code."}, []string{"result"})
	m.storeTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "phonghop_store_operation_duration_seconds",
		Help: "Object store latency by operation.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"op"})
	m.storeFails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phonghop_store_errors_total",
		Help: "Object store operations that failed (not counting not-found, failed conditions and callers that went away)."}, []string{"op"})
	m.reg.MustRegister(m.requests, m.duration, m.errors, m.ballots, m.storeTime, m.storeFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one HTTP request; route is the matched pattern, never the
// raw path, so ids do not explode the label set.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// Error records an error answer by its contract code.
func (m *Metrics) Error(code string) { m.errors.WithLabelValues(code).Inc() }

// Ballot records a ballot's outcome: "accepted" or the error code.
func (m *Metrics) Ballot(result string) { m.ballots.WithLabelValues(result).Inc() }

// Live registers the live room's gauges and counters, read when scraped.
func (m *Metrics) Live(stats func() live.Stats) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "phonghop_live_connections", Help: "Live sockets connected to this process."},
			func() float64 { return float64(stats().Connections) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_live_events_total", Help: "Events delivered to this process's rooms."},
			func() float64 { return float64(stats().Events) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_live_frames_total", Help: "Frames queued on live sockets."},
			func() float64 { return float64(stats().Frames) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_live_slow_drops_total", Help: "Sockets closed because they could not keep up."},
			func() float64 { return float64(stats().SlowDrops) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_live_not_recorded_total",
			Help: "Room changes refused (503) because the journal could not take them."},
			func() float64 { return float64(stats().NotRecorded) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "phonghop_live_unjournaled",
			Help: "Events the room shows whose journal entry is still being retried (a refused change that could not be taken back)."},
			func() float64 { return float64(stats().Unjournaled) }),
	)
}

// Audit registers the audit trail's counters.
func (m *Metrics) Audit(stats func() audit.Stats) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_audit_entries_total", Help: "Audit entries written."},
			func() float64 { return float64(stats().Written) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "phonghop_audit_failures_total",
			Help: "Audit writes (entries or signed heads) the store refused; entries are retried until they land."},
			func() float64 { return float64(stats().Failures) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "phonghop_audit_pending", Help: "Audit entries waiting to be retried."},
			func() float64 { return float64(stats().Pending) }),
	)
}

// Store wraps s so every operation's latency and failures are recorded.
func (m *Metrics) Store(s storage.Store) storage.Store { return &store{Store: s, m: m} }

type store struct {
	storage.Store
	m *Metrics
}

func (s *store) observe(op string, start time.Time, err error) {
	s.m.storeTime.WithLabelValues(op).Observe(time.Since(start).Seconds())
	// Not found, a failed condition and a caller that went away are answers,
	// not failures of the store.
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) &&
		!errors.Is(err, context.Canceled) {
		s.m.storeFails.WithLabelValues(op).Inc()
	}
}

func (s *store) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.Info, error) {
	start := time.Now()
	info, err := s.Store.Put(ctx, key, r, size, o)
	s.observe("put", start, err)
	return info, err
}

func (s *store) Get(ctx context.Context, key string, rng *storage.Range) (io.ReadCloser, storage.Info, error) {
	start := time.Now()
	rc, info, err := s.Store.Get(ctx, key, rng)
	s.observe("get", start, err)
	return rc, info, err
}

func (s *store) Stat(ctx context.Context, key string) (storage.Info, error) {
	start := time.Now()
	info, err := s.Store.Stat(ctx, key)
	s.observe("stat", start, err)
	return info, err
}

func (s *store) List(ctx context.Context, prefix string) ([]storage.Info, error) {
	start := time.Now()
	out, err := s.Store.List(ctx, prefix)
	s.observe("list", start, err)
	return out, err
}

func (s *store) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := s.Store.Delete(ctx, key)
	s.observe("delete", start, err)
	return err
}

func (s *store) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.Store.Ping(ctx)
	s.observe("ping", start, err)
	return err
}
