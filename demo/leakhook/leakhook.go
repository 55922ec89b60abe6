// Package leakhook lets chaosrunner inject a goroutine leak into a live Go
// service.
//
// Why a hook and not an external tool: a goroutine leak is a property of the
// process itself, so no network or kernel fault reproduces it faithfully. The
// service links this package and mounts Handler(); chaosrunner then starts a
// leak over HTTP, watches go_goroutines (and its own gauge) rise, and
// releases it.
//
// Safety rules, from chaosrunner's design guide:
//   - every leak carries its own expiry, enforced here by a timer, so the leak
//     ends even if the orchestrator is SIGKILLed;
//   - starting while a leak is active is a 409, never a silent reuse;
//   - release really ends every held goroutine (they block on a channel that
//     release closes) and returns only once they have exited.
//
// HTTP API (JSON), relative to where Handler() is mounted:
//
//	GET  /         status
//	POST /start    {"rate": N, "max": M, "expiresInSeconds": S, "runId": "..."}
//	POST /release  release everything; idempotent; returns status (held == 0)
package leakhook

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Options fields left at zero.
const (
	DefaultMaxHeld   = 100_000
	DefaultMaxExpiry = time.Hour
)

// Options configure a Hook. The zero value is usable: no token, the defaults.
type Options struct {
	// Token, if set, must be sent as "Authorization: Bearer <token>".
	Token string
	// MaxHeld is the hard cap on held goroutines; a request may ask for less.
	MaxHeld int
	// MaxExpiry bounds expiresInSeconds, so a typo cannot leak for a week.
	MaxExpiry time.Duration
}

// Hook holds at most one active leak.
type Hook struct {
	opts  Options
	held  atomic.Int64 // goroutines currently blocked, across leaks
	mu    sync.Mutex   // serialises start/release/expiry and guards cur/last
	cur   *leak
	last  *Release
	gauge prometheus.GaugeFunc
}

// Release records how the previous leak ended.
type Release struct {
	RunID  string    `json:"runId"`
	Reason string    `json:"reason"` // "release", "expired" or "shutdown"
	At     time.Time `json:"at"`
}

// leak is one active injection.
type leak struct {
	runID     string
	rate      float64
	max       int
	startedAt time.Time
	expiresAt time.Time
	release   chan struct{} // closed to release every held goroutine
	spawnDone chan struct{} // closed when the spawner has returned
	wg        sync.WaitGroup
	timer     *time.Timer
}

// New returns an idle Hook.
func New(opts Options) *Hook {
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = DefaultMaxHeld
	}
	if opts.MaxExpiry <= 0 {
		opts.MaxExpiry = DefaultMaxExpiry
	}
	h := &Hook{opts: opts}
	h.gauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chaosrunner_leakhook_goroutines_held",
		Help: "Goroutines currently held by the chaosrunner goroutine-leak hook.",
	}, func() float64 { return float64(h.held.Load()) })
	return h
}

// Collector returns the chaosrunner_leakhook_goroutines_held gauge; register
// it on the service's registry.
func (h *Hook) Collector() prometheus.Collector { return h.gauge }

// Held is the number of goroutines currently held.
func (h *Hook) Held() int { return int(h.held.Load()) }

// Handler serves the HTTP API. Mount it under a prefix with http.StripPrefix.
func (h *Hook) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leakhook"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		var method string
		var serve func(http.ResponseWriter, *http.Request)
		switch r.URL.Path {
		case "", "/":
			method, serve = http.MethodGet, h.serveStatus
		case "/start":
			method, serve = http.MethodPost, h.serveStart
		case "/release":
			method, serve = http.MethodPost, h.serveRelease
		default:
			writeError(w, http.StatusNotFound, "no such endpoint; use GET /, POST /start, POST /release")
			return
		}
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, "use "+method+" for this endpoint")
			return
		}
		serve(w, r)
	})
}

func (h *Hook) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		return true
	}
	want := "Bearer " + h.opts.Token
	got := r.Header.Get("Authorization")
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
