// Command loadgen drives the demo service at a constant request rate and
// exports what the clients saw.
//
// It is open-loop on purpose: requests are issued on a fixed schedule no
// matter how slow the service is, so a slow service shows up as latency and
// timeouts instead of silently lowering the load (coordinated omission).
// In-flight requests are bounded; a request that would exceed the bound is
// dropped and counted in loadgen_dropped_total.
// Every flag can also be set by an environment variable (flag wins).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g := newGenerator(cfg, reg)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Addr: cfg.listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("loadgen: metrics listener: %v", err)
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Printf("loadgen: target=%s rate=%g/s keys=%d timeout=%s max-inflight=%d metrics=http://%s/metrics",
		cfg.target, cfg.rate, cfg.keys, cfg.timeout, cfg.maxInFlight, cfg.listen)
	g.Run(ctx) // returns after SIGTERM once in-flight requests finish
	log.Printf("loadgen: stopped")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
}

type config struct {
	target, listen    string
	rate              float64
	timeout           time.Duration
	keys, maxInFlight int
}

func parseConfig(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&c.target, "target", env("LOADGEN_TARGET", "http://127.0.0.1:18080"), "service base URL (env LOADGEN_TARGET)")
	rate := fs.String("rate", env("LOADGEN_RATE", "20"), "requests per second (env LOADGEN_RATE)")
	fs.StringVar(&c.listen, "listen", env("LOADGEN_LISTEN", "127.0.0.1:18081"), "metrics listen address (env LOADGEN_LISTEN)")
	timeout := fs.String("timeout", env("LOADGEN_TIMEOUT", "2s"), "per-request client timeout (env LOADGEN_TIMEOUT)")
	keys := fs.String("keys", env("LOADGEN_KEYS", "100"), "key space: ids 0..keys-1 (env LOADGEN_KEYS)")
	inflight := fs.String("max-inflight", env("LOADGEN_MAX_INFLIGHT", "200"), "bound on in-flight requests (env LOADGEN_MAX_INFLIGHT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if _, err = fmt.Sscan(*rate, &c.rate); err != nil || c.rate <= 0 || c.rate > 100_000 {
		return c, fmt.Errorf("--rate %q: want a number in (0, 100000]", *rate)
	}
	if c.timeout, err = time.ParseDuration(*timeout); err != nil || c.timeout <= 0 {
		return c, fmt.Errorf("--timeout %q: want a duration > 0", *timeout)
	}
	if _, err = fmt.Sscan(*keys, &c.keys); err != nil || c.keys <= 0 {
		return c, fmt.Errorf("--keys %q: want an integer > 0", *keys)
	}
	if _, err = fmt.Sscan(*inflight, &c.maxInFlight); err != nil || c.maxInFlight <= 0 {
		return c, fmt.Errorf("--max-inflight %q: want an integer > 0", *inflight)
	}
	return c, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
