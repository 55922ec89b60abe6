package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"chaosrunner.dev/demo/leakhook"
)

// TestAgainstRealRedis runs the handlers on a real redis-server at
// $REDIS_ADDR (e.g. 127.0.0.1:16379); it is skipped when unset.
func TestAgainstRealRedis(t *testing.T) {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		t.Skip("REDIS_ADDR not set; skipping the real-Redis test")
	}
	rdb := newRedisClient(addr, 500*time.Millisecond)
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	reg := prometheus.NewRegistry()
	items := NewItems(newRedisStore(rdb, reg), 500*time.Millisecond, false)
	srv := httptest.NewServer(newHandler(items, leakhook.New(leakhook.Options{}), reg))
	defer srv.Close()

	id := fmt.Sprintf("test-%d", time.Now().UnixNano())
	t.Cleanup(func() { rdb.Del(context.Background(), key(id), key(id+"x")) })

	do := func(method, path, body string) (int, itemBody) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ib itemBody
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &ib)
		return resp.StatusCode, ib
	}

	if c, ib := do("GET", "/items/"+id, ""); c != 200 || ib.Value != Generate(id) || ib.Source != FromGenerated {
		t.Fatalf("GET missing: %d %+v", c, ib)
	}
	if got, _ := rdb.Get(context.Background(), key(id)).Result(); got != Generate(id) {
		t.Fatalf("generated value not SET in Redis: %q", got)
	}
	if c, _ := do("PUT", "/items/"+id+"x", `{"value":"hello"}`); c != 200 {
		t.Fatalf("PUT: %d", c)
	}
	if c, ib := do("GET", "/items/"+id+"x", ""); c != 200 || ib.Value != "hello" || ib.Source != FromStore {
		t.Fatalf("GET after PUT: %d %+v", c, ib)
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`demo_redis_call_duration_seconds_count{op="get",result="miss"}`, `demo_redis_call_duration_seconds_count{op="set",result="ok"}`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("metrics lack %s", m)
		}
	}

	// An unreachable Redis is a 503 without fallback.
	dead := newRedisClient("127.0.0.1:1", 100*time.Millisecond)
	defer dead.Close()
	deadReg := prometheus.NewRegistry()
	deadItems := NewItems(newRedisStore(dead, deadReg), 100*time.Millisecond, false)
	deadSrv := httptest.NewServer(newHandler(deadItems, leakhook.New(leakhook.Options{}), deadReg))
	defer deadSrv.Close()
	resp, err = http.Get(deadSrv.URL + "/items/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("dead Redis: %d, want 503", resp.StatusCode)
	}
}
