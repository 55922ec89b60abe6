package leakhook

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"
)

// ErrActive is returned by Start while another leak is active.
var ErrActive = errors.New("a goroutine leak is already active; release it first")

// InvalidError lists every problem found in Params.
type InvalidError struct{ Problems []string }

func (e *InvalidError) Error() string { return "invalid leak: " + strings.Join(e.Problems, "; ") }

// Params describe one leak.
type Params struct {
	Rate      float64       // goroutines per second, > 0
	Max       int           // cap on held goroutines; 0 means Options.MaxHeld
	ExpiresIn time.Duration // > 0 and <= Options.MaxExpiry
	RunID     string        // the chaosrunner run that owns the leak
}

// Status is the hook's state as served by GET /.
type Status struct {
	Active      bool       `json:"active"`
	Held        int        `json:"held"`
	Rate        float64    `json:"rate"`
	Max         int        `json:"max"`
	RunID       string     `json:"runId"`
	StartedAt   *time.Time `json:"startedAt"`
	ExpiresAt   *time.Time `json:"expiresAt"`
	LastRelease *Release   `json:"lastRelease"`
}

func (h *Hook) validate(p *Params) error {
	var probs []string
	if math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) || p.Rate <= 0 {
		probs = append(probs, "rate is required: a number > 0 (goroutines per second)")
	}
	if p.Max < 0 || p.Max > h.opts.MaxHeld {
		probs = append(probs, fmt.Sprintf("max, when given, must be between 1 and %d", h.opts.MaxHeld))
	}
	if p.ExpiresIn <= 0 || p.ExpiresIn > h.opts.MaxExpiry {
		probs = append(probs, fmt.Sprintf("expiresInSeconds is required: a number > 0 and <= %g", h.opts.MaxExpiry.Seconds()))
	}
	if strings.TrimSpace(p.RunID) == "" || len(p.RunID) > 128 {
		probs = append(probs, "runId is required: a non-empty string of at most 128 characters")
	}
	if probs != nil {
		return &InvalidError{Problems: probs}
	}
	if p.Max == 0 {
		p.Max = h.opts.MaxHeld
	}
	return nil
}

// Start begins a leak. It returns ErrActive if one is already active and an
// *InvalidError for bad params.
func (h *Hook) Start(p Params) (Status, error) {
	if err := h.validate(&p); err != nil {
		return h.Status(), err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		return h.statusLocked(), ErrActive
	}
	now := time.Now()
	l := &leak{
		runID: p.RunID, rate: p.Rate, max: p.Max,
		startedAt: now, expiresAt: now.Add(p.ExpiresIn),
		release: make(chan struct{}), spawnDone: make(chan struct{}),
	}
	// The dead-man: the leak ends at expiresAt whatever happens to the caller.
	l.timer = time.AfterFunc(p.ExpiresIn, func() { h.releaseLeak(l, "expired") })
	h.cur = l
	go l.spawn(&h.held)
	return h.statusLocked(), nil
}

// Release ends the active leak, if any, and returns once every held
// goroutine has exited. reason is recorded in Status.LastRelease.
func (h *Hook) Release(reason string) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(nil, reason)
	return h.statusLocked()
}

// Status returns the current state.
func (h *Hook) Status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.statusLocked()
}

func (h *Hook) releaseLeak(l *leak, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(l, reason)
}

// releaseLocked releases h.cur (only if it is `only`, when only != nil).
func (h *Hook) releaseLocked(only *leak, reason string) {
	l := h.cur
	if l == nil || (only != nil && only != l) {
		return
	}
	h.cur = nil
	l.timer.Stop()
	close(l.release)
	<-l.spawnDone // no wg.Add may race with the Wait below
	l.wg.Wait()
	h.last = &Release{RunID: l.runID, Reason: reason, At: stamp(time.Now())}
}

func (h *Hook) statusLocked() Status {
	s := Status{Held: int(h.held.Load()), LastRelease: h.last}
	if l := h.cur; l != nil {
		started, expires := stamp(l.startedAt), stamp(l.expiresAt)
		s.Active, s.Rate, s.Max, s.RunID = true, l.rate, l.max, l.runID
		s.StartedAt, s.ExpiresAt = &started, &expires
	}
	return s
}

// stamp drops the monotonic clock and sub-millisecond digits so the JSON is
// plain RFC 3339 in UTC that any client parses.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// spawn adds goroutines at l.rate until l.max are held or the leak is
// released. It tops up to rate*elapsed on every tick, so slow ticks do not
// lower the rate.
func (l *leak) spawn(held *atomic.Int64) {
	defer close(l.spawnDone)
	tick := time.NewTicker(min(max(time.Duration(float64(time.Second)/l.rate), 10*time.Millisecond), time.Second))
	defer tick.Stop()
	spawned := 0
	for {
		want := int(min(l.rate*time.Since(l.startedAt).Seconds(), float64(l.max)))
		for ; spawned < want; spawned++ {
			l.wg.Add(1)
			held.Add(1)
			go func() {
				defer l.wg.Done()
				defer held.Add(-1)
				<-l.release // the leak: blocked until release closes the channel
			}()
		}
		if spawned >= l.max {
			return // hold what we have; release still works via l.release
		}
		select {
		case <-l.release:
			return
		case <-tick.C:
		}
	}
}
