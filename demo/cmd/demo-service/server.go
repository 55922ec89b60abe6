package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chaosrunner.dev/demo/leakhook"
)

// LeakHookPath is where the goroutine-leak hook is mounted.
const LeakHookPath = "/debug/chaos/goroutine-leak"

// PprofPath is where Go's runtime profiles are served. chaosrunner captures
// /debug/pprof/goroutine?debug=1 (stacks aggregated with counts) around the
// blast window, so a report can point at the stack whose goroutines grew.
const PprofPath = "/debug/pprof/"

// latencyBuckets are fine-grained from 5ms to 2s so that SLO thresholds such
// as 0.2s and 0.5s sit exactly on bucket boundaries.
var latencyBuckets = []float64{
	.001, .0025, .005, .0075, .01, .015, .02, .03, .05, .075, .1, .15,
	.2, .25, .3, .4, .5, .6, .75, 1, 1.25, 1.5, 2, 3, 5,
}

type itemBody struct {
	ID     string `json:"id"`
	Value  string `json:"value"`
	Source Source `json:"source,omitempty"`
}

// newHandler wires the routes and wraps them in request metrics.
func newHandler(items *Items, hook *leakhook.Hook, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		v, src, err := items.Get(r.Context(), id)
		if err != nil {
			unavailable(w, err)
			return
		}
		writeJSON(w, http.StatusOK, itemBody{ID: id, Value: v, Source: src})
	})
	mux.HandleFunc("PUT /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body itemBody
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"value": "..."}: ` + err.Error()})
			return
		}
		id := r.PathValue("id")
		if err := items.Put(r.Context(), id, body.Value); err != nil {
			unavailable(w, err)
			return
		}
		writeJSON(w, http.StatusOK, itemBody{ID: id, Value: body.Value, Source: FromStore})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Registered on this mux explicitly: the side-effect registration of
	// net/http/pprof goes to http.DefaultServeMux, which is not served.
	mux.HandleFunc("GET "+PprofPath, pprof.Index) // also serves goroutine, heap, ...
	mux.HandleFunc("GET "+PprofPath+"cmdline", pprof.Cmdline)
	mux.HandleFunc("GET "+PprofPath+"profile", pprof.Profile)
	mux.HandleFunc("GET "+PprofPath+"symbol", pprof.Symbol)
	mux.HandleFunc("POST "+PprofPath+"symbol", pprof.Symbol)
	mux.HandleFunc("GET "+PprofPath+"trace", pprof.Trace)
	hh := http.StripPrefix(LeakHookPath, hook.Handler())
	mux.Handle(LeakHookPath, hh)
	mux.Handle(LeakHookPath+"/", hh)
	return instrument(mux, reg)
}

func unavailable(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	if !errors.Is(err, ErrUnavailable) {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instrument records demo_http_requests_total{route,code} and
// demo_http_request_duration_seconds{route}. route is the matched mux
// pattern without its method ("/items/{id}"), so label cardinality is fixed.
func instrument(mux *http.ServeMux, reg prometheus.Registerer) http.Handler {
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "demo_http_requests_total",
		Help: "HTTP requests by route pattern and status code.",
	}, []string{"route", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "demo_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern.",
		Buckets: latencyBuckets,
	}, []string{"route"})
	reg.MustRegister(reqs, dur)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(rec, r) // sets r.Pattern
		route := r.Pattern
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:]
		}
		if route == "" {
			route = "other"
		} else if strings.HasPrefix(route, LeakHookPath) {
			route = LeakHookPath
		} else if strings.HasPrefix(route, PprofPath) {
			route = PprofPath
		}
		reqs.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		dur.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
