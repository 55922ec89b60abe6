package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"chaosrunner.dev/demo/leakhook"
)

// fakeStore is an in-memory Store that can fail or hang on demand.
type fakeStore struct {
	mu   sync.Mutex
	data map[string]string
	err  error // returned by every call when set
	hang bool  // block until ctx is done
	ctxs []context.Context
}

func newFake() *fakeStore { return &fakeStore{data: map[string]string{}} }

func (f *fakeStore) call(ctx context.Context) error {
	f.mu.Lock()
	f.ctxs = append(f.ctxs, ctx)
	err, hang := f.err, f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeStore) Get(ctx context.Context, k string) (string, bool, error) {
	if err := f.call(ctx); err != nil {
		return "", false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[k]
	return v, ok, nil
}

func (f *fakeStore) Set(ctx context.Context, k, v string) error {
	if err := f.call(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data[k] = v
	return nil
}

func (f *fakeStore) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

var errDown = errors.New("connection refused")

func TestMissingKeyIsGeneratedAndStored(t *testing.T) {
	f := newFake()
	it := NewItems(f, 100*time.Millisecond, false)
	v, src, err := it.Get(context.Background(), "7")
	if err != nil || src != FromGenerated || v != Generate("7") {
		t.Fatalf("Get = %q %q %v", v, src, err)
	}
	if f.data[key("7")] != v {
		t.Fatal("generated value was not stored")
	}
	if v2, src, _ := it.Get(context.Background(), "7"); v2 != v || src != FromStore {
		t.Fatalf("second Get = %q %q", v2, src)
	}
	if Generate("7") == Generate("8") || Generate("7") != Generate("7") {
		t.Fatal("Generate must be deterministic and per-id")
	}
}

func TestFallback(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fallback bool
		warm     bool // a good read happened before the fault
		wantErr  bool
		wantSrc  Source
	}{
		{"no fallback fails", false, true, true, ""},
		{"fallback serves last known", true, true, false, FromCache},
		{"fallback without a known value fails", true, false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.data[key("1")] = "good"
			it := NewItems(f, 100*time.Millisecond, tc.fallback)
			if tc.warm {
				if _, _, err := it.Get(context.Background(), "1"); err != nil {
					t.Fatal(err)
				}
			}
			f.fail(errDown)
			v, src, err := it.Get(context.Background(), "1")
			if tc.wantErr {
				if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errDown) {
					t.Fatalf("err = %v, want ErrUnavailable wrapping the cause", err)
				}
				return
			}
			if err != nil || v != "good" || src != tc.wantSrc {
				t.Fatalf("Get = %q %q %v", v, src, err)
			}
		})
	}
}

func TestPutFailureIsNeverHidden(t *testing.T) {
	f := newFake()
	it := NewItems(f, 100*time.Millisecond, true)
	if err := it.Put(context.Background(), "1", "v1"); err != nil {
		t.Fatal(err)
	}
	f.fail(errDown)
	if err := it.Put(context.Background(), "1", "v2"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Put during outage = %v", err)
	}
	if v, src, _ := it.Get(context.Background(), "1"); v != "v1" || src != FromCache {
		t.Fatalf("cache must keep the last value Redis accepted, got %q %q", v, src)
	}
}

func TestTimeoutBoundsHungStore(t *testing.T) {
	f := newFake()
	f.data[key("1")] = "good"
	it := NewItems(f, 50*time.Millisecond, true)
	if _, _, err := it.Get(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.hang = true
	f.mu.Unlock()
	start := time.Now()
	v, src, err := it.Get(context.Background(), "1")
	if err != nil || v != "good" || src != FromCache {
		t.Fatalf("Get = %q %q %v", v, src, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("hung store took %v despite a 50ms timeout", d)
	}
}

func TestZeroTimeoutIgnoresCallerContext(t *testing.T) {
	f := newFake()
	it := NewItems(f, 0, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	time.Sleep(5 * time.Millisecond)
	if _, _, err := it.Get(ctx, "1"); err != nil {
		t.Fatalf("a cancelled caller must not cancel the call with timeout 0: %v", err)
	}
	for _, c := range f.ctxs {
		if _, ok := c.Deadline(); ok || c.Done() != nil {
			t.Fatal("timeout 0 must call the store with context.Background()")
		}
	}
}

func TestHandlerStatusCodes(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		f := newFake()
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(newHandler(NewItems(f, 100*time.Millisecond, fallback), leakhook.New(leakhook.Options{}), reg))
		get := func(path string) int {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := get("/items/1"); c != 200 {
			t.Fatalf("healthy GET: %d", c)
		}
		f.fail(errDown)
		want := 503
		if fallback {
			want = 200
		}
		if c := get("/items/1"); c != want {
			t.Errorf("fallback=%v: GET during outage = %d, want %d", fallback, c, want)
		}
		if c := get("/healthz"); c != 200 {
			t.Errorf("healthz must not depend on Redis: %d", c)
		}
		if c := get("/debug/chaos/goroutine-leak"); c != 200 {
			t.Errorf("leak hook status: %d", c)
		}
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{
			`demo_http_requests_total{code="200",route="/items/{id}"}`,
			`demo_http_request_duration_seconds_bucket{route="/items/{id}",le="0.2"}`,
			`demo_http_requests_total{code="200",route="/debug/chaos/goroutine-leak"}`,
		} {
			if !strings.Contains(string(body), m) {
				t.Errorf("metrics lack %s", m)
			}
		}
		srv.Close()
	}
}

// TestPprofGoroutineProfile checks the text format chaosrunner diffs: stacks
// aggregated with a count, served under /debug/pprof/ and counted as one route.
func TestPprofGoroutineProfile(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(newHandler(NewItems(newFake(), 100*time.Millisecond, false), leakhook.New(leakhook.Options{}), reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "goroutine profile: total ") {
		t.Fatalf("goroutine profile: %d %.80q", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "\n#\t0x") {
		t.Errorf("debug=1 profile lacks symbolized frames: %.200q", body)
	}
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := `demo_http_requests_total{code="200",route="/debug/pprof/"}`; !strings.Contains(string(body), m) {
		t.Errorf("metrics lack %s", m)
	}
}
