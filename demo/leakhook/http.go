package leakhook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// startRequest is the POST /start body. Pointers tell "missing" from zero.
type startRequest struct {
	Rate             *float64 `json:"rate"`
	Max              *int     `json:"max"`
	ExpiresInSeconds *float64 `json:"expiresInSeconds"`
	RunID            *string  `json:"runId"`
}

// errorBody is every non-2xx response.
type errorBody struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
	Status   *Status  `json:"status,omitempty"` // on 409: the leak that is active
}

func (h *Hook) serveStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.Status())
}

func (h *Hook) serveRelease(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.Release("release"))
}

func (h *Hook) serveStart(w http.ResponseWriter, r *http.Request) {
	p, probs := parseStart(r)
	if probs != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid start request", Problems: probs})
		return
	}
	st, err := h.Start(p)
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid start request", Problems: inv.Problems})
	case errors.Is(err, ErrActive):
		writeJSON(w, http.StatusConflict, errorBody{Error: err.Error(), Status: &st})
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

// parseStart decodes the body strictly (unknown fields are a typo, not
// something to ignore) and reports every missing required field.
func parseStart(r *http.Request) (Params, []string) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	var req startRequest
	if err := dec.Decode(&req); err != nil {
		return Params{}, []string{"body must be a JSON object {rate, max?, expiresInSeconds, runId}: " + err.Error()}
	}
	var probs []string
	if req.Rate == nil {
		probs = append(probs, "rate is required (goroutines per second, > 0)")
	}
	if req.ExpiresInSeconds == nil {
		probs = append(probs, "expiresInSeconds is required (> 0)")
	}
	if req.RunID == nil || strings.TrimSpace(*req.RunID) == "" {
		probs = append(probs, "runId is required")
	}
	if req.Max != nil && *req.Max <= 0 {
		probs = append(probs, "max, when given, must be > 0")
	}
	if probs != nil {
		return Params{}, probs
	}
	p := Params{Rate: *req.Rate, RunID: *req.RunID}
	if req.Max != nil {
		p.Max = *req.Max
	}
	// Clamp before converting so a huge number cannot overflow Duration;
	// validate then rejects it against MaxExpiry.
	secs := min(*req.ExpiresInSeconds, 1e9)
	if secs > 0 {
		p.ExpiresIn = max(time.Duration(secs*float64(time.Second)), time.Millisecond)
	}
	return p, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}
