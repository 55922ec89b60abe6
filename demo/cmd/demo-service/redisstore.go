package main

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// redisStore is Store on go-redis, timing every call into
// demo_redis_call_duration_seconds{op,result}.
type redisStore struct {
	rdb *redis.Client
	dur *prometheus.HistogramVec
}

// newRedisClient applies the timeout policy. timeout > 0 bounds every socket
// read/write and the wait for a pooled connection. timeout == 0 disables them
// all (the pool wait cannot be disabled in go-redis, so it is set to a day):
// a hung Redis then blocks request goroutines indefinitely.
func newRedisClient(addr string, timeout time.Duration) *redis.Client {
	opt := &redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true, // honour the per-call context deadline
		MaxRetries:            -1,   // one attempt per call: metrics show what Redis did
		DisableIdentity:       true, // no CLIENT SETINFO noise on Redis < 7.2
	}
	if timeout > 0 {
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = timeout, timeout, timeout, timeout
	} else {
		opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = -1, -1, 24*time.Hour
	}
	return redis.NewClient(opt)
}

func newRedisStore(rdb *redis.Client, reg prometheus.Registerer) *redisStore {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "demo_redis_call_duration_seconds",
		Help:    "Redis call latency by op (get, set) and result (ok, miss, timeout, error).",
		Buckets: latencyBuckets,
	}, []string{"op", "result"})
	reg.MustRegister(dur)
	return &redisStore{rdb: rdb, dur: dur}
}

func (s *redisStore) Get(ctx context.Context, key string) (string, bool, error) {
	start := time.Now()
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		s.observe("get", "miss", start)
		return "", false, nil
	}
	s.observe("get", resultOf(err), start)
	return v, err == nil, err
}

func (s *redisStore) Set(ctx context.Context, key, value string) error {
	start := time.Now()
	err := s.rdb.Set(ctx, key, value, 0).Err()
	s.observe("set", resultOf(err), start)
	return err
}

func (s *redisStore) observe(op, result string, start time.Time) {
	s.dur.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

func resultOf(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrPoolTimeout), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "error"
	}
}
