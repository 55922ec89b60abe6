package leakhook

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

type client struct {
	t     *testing.T
	url   string
	token string
}

func newServer(t *testing.T, opts Options) (*Hook, *client) {
	t.Helper()
	h := New(opts)
	srv := httptest.NewServer(http.StripPrefix("/leak", h.Handler()))
	t.Cleanup(func() { h.Release("test-cleanup"); srv.Close() })
	return h, &client{t: t, url: srv.URL + "/leak", token: opts.Token}
}

// do sends a request and decodes the JSON reply into out (if non-nil).
func (c *client) do(method, path, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Fatalf("%s %s: content-type %q, body %s", method, path, ct, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

func (c *client) status() Status {
	var s Status
	if code := c.do("GET", "/", "", &s); code != 200 {
		c.t.Fatalf("status: %d", code)
	}
	return s
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartStatusRelease(t *testing.T) {
	base := runtime.NumGoroutine()
	h, c := newServer(t, Options{})

	var st Status
	code := c.do("POST", "/start", `{"rate": 2000, "max": 300, "expiresInSeconds": 60, "runId": "run-1"}`, &st)
	if code != 200 || !st.Active || st.RunID != "run-1" || st.Rate != 2000 || st.Max != 300 || st.ExpiresAt == nil {
		t.Fatalf("start: %d %+v", code, st)
	}
	if d := time.Until(*st.ExpiresAt); d < 58*time.Second || d > 61*time.Second {
		t.Fatalf("expiresAt %v is not ~60s away", st.ExpiresAt)
	}
	eventually(t, "held to reach max", func() bool { return c.status().Held == 300 })
	if got := testutil.ToFloat64(h.Collector()); got != 300 {
		t.Fatalf("gauge = %v, want 300", got)
	}
	if n := runtime.NumGoroutine(); n < base+300 {
		t.Fatalf("NumGoroutine = %d, want >= %d: held goroutines are not real", n, base+300)
	}

	for i := 0; i < 2; i++ { // idempotent
		var rel Status
		if code := c.do("POST", "/release", "", &rel); code != 200 || rel.Active || rel.Held != 0 {
			t.Fatalf("release #%d: %d %+v", i, code, rel)
		}
	}
	if got := testutil.ToFloat64(h.Collector()); got != 0 {
		t.Fatalf("gauge after release = %v", got)
	}
	// The goroutines must really exit, not just be uncounted.
	eventually(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() < base+10 })
	st = c.status()
	if st.Active || st.ExpiresAt != nil || st.LastRelease == nil || st.LastRelease.RunID != "run-1" || st.LastRelease.Reason != "release" {
		t.Fatalf("status after release: %+v", st)
	}
}

func TestSecondStartIsConflict(t *testing.T) {
	_, c := newServer(t, Options{})
	body := `{"rate": 10, "expiresInSeconds": 60, "runId": "a"}`
	if code := c.do("POST", "/start", body, nil); code != 200 {
		t.Fatalf("first start: %d", code)
	}
	var e errorBody
	if code := c.do("POST", "/start", strings.Replace(body, `"a"`, `"b"`, 1), &e); code != 409 {
		t.Fatalf("second start: %d, want 409", code)
	}
	if e.Status == nil || e.Status.RunID != "a" {
		t.Fatalf("409 must describe the active leak: %+v", e)
	}
	if st := c.status(); st.RunID != "a" {
		t.Fatalf("active leak changed to %q", st.RunID)
	}
}

func TestExpiryReleasesByItself(t *testing.T) {
	base := runtime.NumGoroutine()
	_, c := newServer(t, Options{})
	if code := c.do("POST", "/start", `{"rate": 1000, "expiresInSeconds": 0.3, "runId": "exp"}`, nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	eventually(t, "some goroutines held", func() bool { return c.status().Held > 50 })
	eventually(t, "expiry", func() bool { s := c.status(); return !s.Active && s.Held == 0 })
	if r := c.status().LastRelease; r == nil || r.Reason != "expired" || r.RunID != "exp" {
		t.Fatalf("lastRelease = %+v", r)
	}
	eventually(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() < base+10 })
	// A new leak may start once the old one expired.
	if code := c.do("POST", "/start", `{"rate": 1, "expiresInSeconds": 5, "runId": "next"}`, nil); code != 200 {
		t.Fatalf("start after expiry: %d", code)
	}
}

func TestBadInputIs400(t *testing.T) {
	_, c := newServer(t, Options{MaxHeld: 1000, MaxExpiry: time.Minute})
	for name, body := range map[string]string{
		"not json":         `rate=5`,
		"empty":            ``,
		"unknown field":    `{"rate": 5, "expiresIn": 10, "runId": "x"}`,
		"missing rate":     `{"expiresInSeconds": 10, "runId": "x"}`,
		"zero rate":        `{"rate": 0, "expiresInSeconds": 10, "runId": "x"}`,
		"negative rate":    `{"rate": -1, "expiresInSeconds": 10, "runId": "x"}`,
		"missing expiry":   `{"rate": 5, "runId": "x"}`,
		"zero expiry":      `{"rate": 5, "expiresInSeconds": 0, "runId": "x"}`,
		"expiry too long":  `{"rate": 5, "expiresInSeconds": 61, "runId": "x"}`,
		"missing runId":    `{"rate": 5, "expiresInSeconds": 10}`,
		"zero max":         `{"rate": 5, "max": 0, "expiresInSeconds": 10, "runId": "x"}`,
		"max over cap":     `{"rate": 5, "max": 1001, "expiresInSeconds": 10, "runId": "x"}`,
		"rate is a string": `{"rate": "5", "expiresInSeconds": 10, "runId": "x"}`,
	} {
		var e errorBody
		if code := c.do("POST", "/start", body, &e); code != 400 || e.Error == "" || len(e.Problems) == 0 {
			t.Errorf("%s: %d %+v, want 400 with problems", name, code, e)
		}
	}
	var e errorBody // every problem is reported at once
	if c.do("POST", "/start", `{"rate": 0}`, &e); len(e.Problems) != 3 {
		t.Errorf("want 3 problems (rate, expiresInSeconds, runId), got %q", e.Problems)
	}
	if c.status().Active {
		t.Fatal("a rejected start must not leak")
	}
	if code := c.do("GET", "/start", "", nil); code != 405 {
		t.Errorf("GET /start: %d, want 405", code)
	}
	if code := c.do("GET", "/nope", "", nil); code != 404 {
		t.Errorf("GET /nope: %d, want 404", code)
	}
}

func TestToken(t *testing.T) {
	_, c := newServer(t, Options{Token: "s3cret"})
	for _, tok := range []string{"", "wrong"} {
		bad := &client{t: t, url: c.url, token: tok}
		for _, path := range []string{"/", "/start", "/release"} {
			method := "POST"
			if path == "/" {
				method = "GET"
			}
			if code := bad.do(method, path, `{"rate":1,"expiresInSeconds":1,"runId":"x"}`, nil); code != 401 {
				t.Errorf("token %q %s: %d, want 401", tok, path, code)
			}
		}
	}
	if code := c.do("GET", "/", "", nil); code != 200 {
		t.Fatalf("right token: %d", code)
	}
}
