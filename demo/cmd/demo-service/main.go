// Command demo-service is the small Redis-backed HTTP API that chaosrunner's
// local lab breaks on purpose.
//
// It exists to show both sides of a fault: with --redis-timeout 0 it behaves
// like a naive service (a hung Redis piles up request goroutines), with
// --redis-timeout 100ms --fallback cache it rides the fault out by serving the
// last known value. It also links the goroutine-leak hook (package leakhook).
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

	"chaosrunner.dev/demo/leakhook"
)

type config struct {
	listen, redisAddr, fallback, leakToken string
	redisTimeout                           time.Duration
}

func parseConfig(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("demo-service", flag.ContinueOnError)
	fs.StringVar(&c.listen, "listen", env("DEMO_LISTEN", "127.0.0.1:18080"), "HTTP listen address (env DEMO_LISTEN)")
	fs.StringVar(&c.redisAddr, "redis-addr", env("DEMO_REDIS_ADDR", "127.0.0.1:16380"), "Redis address, normally the Toxiproxy proxy (env DEMO_REDIS_ADDR)")
	timeout := fs.String("redis-timeout", env("DEMO_REDIS_TIMEOUT", "100ms"), "per-call Redis timeout; 0 disables every timeout (env DEMO_REDIS_TIMEOUT)")
	fs.StringVar(&c.fallback, "fallback", env("DEMO_FALLBACK", "none"), "none, or cache: serve the last known value when Redis fails (env DEMO_FALLBACK)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.redisTimeout, err = time.ParseDuration(*timeout); err != nil || c.redisTimeout < 0 {
		return c, fmt.Errorf("--redis-timeout %q: want a duration >= 0 such as 100ms or 0", *timeout)
	}
	if c.fallback != "none" && c.fallback != "cache" {
		return c, fmt.Errorf("--fallback %q: want none or cache", c.fallback)
	}
	c.leakToken = os.Getenv("LEAKHOOK_TOKEN")
	return c, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatalf("demo-service: %v", err)
	}
	if err := run(cfg); err != nil {
		log.Fatalf("demo-service: %v", err)
	}
	log.Printf("demo-service: stopped")
}

func run(cfg config) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	rdb := newRedisClient(cfg.redisAddr, cfg.redisTimeout)
	defer rdb.Close()
	items := NewItems(newRedisStore(rdb, reg), cfg.redisTimeout, cfg.fallback == "cache")
	hook := leakhook.New(leakhook.Options{Token: cfg.leakToken})
	reg.MustRegister(hook.Collector())

	srv := &http.Server{Addr: cfg.listen, Handler: newHandler(items, hook, reg), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("demo-service: listen=%s redis-addr=%s redis-timeout=%s fallback=%s leakhook=%s (token %s)",
		cfg.listen, cfg.redisAddr, timeoutText(cfg.redisTimeout), cfg.fallback, LeakHookPath, tokenText(cfg.leakToken))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Printf("demo-service: shutting down")
	hook.Release("shutdown")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests hung on Redis (timeout 0) never finish; do not wait forever.
		log.Printf("demo-service: %v; closing remaining connections", err)
		return srv.Close()
	}
	return nil
}

func timeoutText(d time.Duration) string {
	if d == 0 {
		return "0 (none: calls can block forever)"
	}
	return d.String()
}

func tokenText(t string) string {
	if t == "" {
		return "off"
	}
	return "required"
}
