package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func runFor(t *testing.T, d, serverDelay time.Duration, cfg config) *generator {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(serverDelay):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	cfg.target = srv.URL
	g := newGenerator(cfg, prometheus.NewRegistry())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	g.Run(ctx)
	return g
}

// A slow service must not slow the schedule: what cannot be sent is dropped.
func TestOpenLoopDropsWhenSaturated(t *testing.T) {
	g := runFor(t, 500*time.Millisecond, 300*time.Millisecond,
		config{rate: 200, timeout: time.Second, keys: 10, maxInFlight: 5})
	sent := testutil.ToFloat64(g.requests.WithLabelValues("200"))
	dropped := testutil.ToFloat64(g.dropped)
	if sent < 5 || sent > 10 {
		t.Errorf("sent %v, want 5..10 (bounded by max-inflight)", sent)
	}
	if total := sent + dropped; total < 80 || total > 110 {
		t.Errorf("scheduled %v in 0.5s at 200/s, want ~100", total)
	}
}

func TestTimeoutsAreLabelled(t *testing.T) {
	g := runFor(t, 200*time.Millisecond, time.Second,
		config{rate: 20, timeout: 50 * time.Millisecond, keys: 10, maxInFlight: 50})
	if n := testutil.ToFloat64(g.requests.WithLabelValues("timeout")); n < 2 {
		t.Errorf("timeouts = %v, want >= 2", n)
	}
	if n := testutil.CollectAndCount(g.duration); n != 1 {
		t.Errorf("duration histogram series = %d", n)
	}
}

func TestParseConfigRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--rate", "0"}, {"--rate", "x"}, {"--timeout", "0s"}, {"--keys", "-1"}, {"--max-inflight", "0"}} {
		if _, err := parseConfig(args); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	c, err := parseConfig(nil)
	if err != nil || c.rate != 20 || c.keys != 100 || c.timeout != 2*time.Second || c.listen != "127.0.0.1:18081" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}
