package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var latencyBuckets = []float64{
	.001, .0025, .005, .0075, .01, .015, .02, .03, .05, .075, .1, .15,
	.2, .25, .3, .4, .5, .6, .75, 1, 1.25, 1.5, 2, 3, 5,
}

type generator struct {
	cfg      config
	client   *http.Client
	sem      chan struct{} // one slot per in-flight request
	wg       sync.WaitGroup
	requests *prometheus.CounterVec
	duration prometheus.Histogram
	dropped  prometheus.Counter

	mu     sync.Mutex // guards the window summarised in the periodic log line
	window map[string]int
	lat    []float64
	drops  int
}

func newGenerator(cfg config, reg prometheus.Registerer) *generator {
	g := &generator{
		cfg: cfg,
		client: &http.Client{Timeout: cfg.timeout, Transport: &http.Transport{
			MaxIdleConns: cfg.maxInFlight, MaxIdleConnsPerHost: cfg.maxInFlight, IdleConnTimeout: 90 * time.Second,
		}},
		sem: make(chan struct{}, cfg.maxInFlight),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_requests_total",
			Help: `Requests by outcome: the HTTP status code, or "timeout" / "error".`,
		}, []string{"code"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "loadgen_request_duration_seconds", Help: "Request latency seen by the client, failures included.",
			Buckets: latencyBuckets,
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loadgen_dropped_total", Help: "Scheduled requests not sent because max-inflight were outstanding.",
		}),
		window: map[string]int{},
	}
	reg.MustRegister(g.requests, g.duration, g.dropped)
	return g
}

// Run issues requests on a fixed schedule until ctx is done, then waits for
// in-flight requests (each bounded by the client timeout).
func (g *generator) Run(ctx context.Context) {
	interval := time.Duration(float64(time.Second) / g.cfg.rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	report := time.NewTicker(10 * time.Second)
	defer report.Stop()
	for {
		select {
		case <-ctx.Done():
			g.wg.Wait()
			return
		case <-report.C:
			log.Print(g.summary())
		case <-timer.C:
			now := time.Now()
			if now.Sub(next) > time.Second { // we were paused: do not burst, count the gap as dropped
				skipped := int(now.Sub(next) / interval)
				g.drop(skipped)
				next = next.Add(time.Duration(skipped) * interval)
			}
			for ; !next.After(now); next = next.Add(interval) {
				g.fire()
			}
			timer.Reset(time.Until(next))
		}
	}
}

func (g *generator) fire() {
	select {
	case g.sem <- struct{}{}:
	default:
		g.drop(1)
		return
	}
	g.wg.Add(1)
	go func() {
		defer func() { <-g.sem; g.wg.Done() }()
		g.do()
	}()
}

func (g *generator) drop(n int) {
	g.dropped.Add(float64(n))
	g.mu.Lock()
	g.drops += n
	g.mu.Unlock()
}

func (g *generator) do() {
	url := g.cfg.target + "/items/" + strconv.Itoa(rand.IntN(g.cfg.keys))
	start := time.Now()
	code := "error"
	resp, err := g.client.Get(url)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = strconv.Itoa(resp.StatusCode)
	} else if isTimeout(err) {
		code = "timeout"
	}
	secs := time.Since(start).Seconds()
	g.requests.WithLabelValues(code).Inc()
	g.duration.Observe(secs)
	g.mu.Lock()
	g.window[code]++
	g.lat = append(g.lat, secs)
	g.mu.Unlock()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// summary returns and resets the window: counts by code, p50/p95/max, drops.
func (g *generator) summary() string {
	g.mu.Lock()
	window, lat, drops := g.window, g.lat, g.drops
	g.window, g.lat, g.drops = map[string]int{}, nil, 0
	g.mu.Unlock()
	codes := make([]string, 0, len(window))
	for c, n := range window {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))] * 1000
	}
	return fmt.Sprintf("loadgen: last 10s: %s p50=%.1fms p95=%.1fms max=%.1fms dropped=%d in-flight=%d",
		strings.Join(codes, " "), q(0.5), q(0.95), q(1), drops, len(g.sem))
}
