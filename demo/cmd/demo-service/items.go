package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Store is the slice of Redis the service needs; tests use a fake.
type Store interface {
	// Get returns found=false (and no error) for a missing key.
	Get(ctx context.Context, key string) (value string, found bool, err error)
	Set(ctx context.Context, key, value string) error
}

// Source says where a served value came from.
type Source string

const (
	FromStore     Source = "redis"
	FromGenerated Source = "generated" // missing key: generated and stored
	FromCache     Source = "cache"     // store failed: last known value
)

// ErrUnavailable means the store failed and no fallback could answer.
var ErrUnavailable = errors.New("store unavailable")

// Items is the service logic: store access under a timeout, plus the
// optional last-known-value fallback. It knows nothing about HTTP.
type Items struct {
	store    Store
	timeout  time.Duration // 0: no timeout, and the caller's context is ignored
	fallback bool

	mu    sync.RWMutex
	cache map[string]string // last good value per id; only used with fallback
}

func NewItems(store Store, timeout time.Duration, fallback bool) *Items {
	return &Items{store: store, timeout: timeout, fallback: fallback, cache: map[string]string{}}
}

// callContext bounds one store call. With timeout 0 it deliberately uses
// context.Background(): nothing cancels the call, not even the client going
// away, which is how a naive service piles up goroutines on a hung backend.
func (it *Items) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if it.timeout <= 0 {
		return context.Background(), func() {}
	}
	return context.WithTimeout(ctx, it.timeout)
}

// Get returns the item, generating and storing a deterministic value for a
// missing key. On store failure it serves the last known value if fallback
// is on, else ErrUnavailable.
func (it *Items) Get(ctx context.Context, id string) (string, Source, error) {
	cctx, cancel := it.callContext(ctx)
	defer cancel()
	v, found, err := it.store.Get(cctx, key(id))
	src := FromStore
	if err == nil && !found {
		v, src = Generate(id), FromGenerated
		err = it.store.Set(cctx, key(id), v)
	}
	if err != nil {
		return it.fallbackValue(id, err)
	}
	it.remember(id, v)
	return v, src, nil
}

// Put stores a value. Writes are never faked: a failure is ErrUnavailable
// even with fallback on.
func (it *Items) Put(ctx context.Context, id, value string) error {
	cctx, cancel := it.callContext(ctx)
	defer cancel()
	if err := it.store.Set(cctx, key(id), value); err != nil {
		return errors.Join(ErrUnavailable, err)
	}
	it.remember(id, value)
	return nil
}

func (it *Items) fallbackValue(id string, cause error) (string, Source, error) {
	if it.fallback {
		it.mu.RLock()
		v, ok := it.cache[id]
		it.mu.RUnlock()
		if ok {
			return v, FromCache, nil
		}
	}
	return "", "", errors.Join(ErrUnavailable, cause)
}

func (it *Items) remember(id, v string) {
	if !it.fallback {
		return
	}
	it.mu.Lock()
	it.cache[id] = v
	it.mu.Unlock()
}

func key(id string) string { return "demo:item:" + id }

// Generate is the value a missing item gets: deterministic, so every replica
// and every run agrees on it.
func Generate(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "item-" + id + "-" + hex.EncodeToString(sum[:6])
}
