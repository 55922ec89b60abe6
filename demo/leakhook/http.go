package leakhook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// startRequest is the POST /start body. Pointers tell an explicit 0 from a
// missing field where that matters (max).
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
	p, err := parseStart(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid start request",
			Problems: []string{"body must be a JSON object {rate, max?, expiresInSeconds, runId}: " + err.Error()}})
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

// parseStart decodes the body strictly: an unknown field is a typo, not
// something to ignore. Missing fields stay zero, which Start rejects with
// one message per field, all at once.
func parseStart(r *http.Request) (Params, error) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	var req startRequest
	if err := dec.Decode(&req); err != nil {
		return Params{}, err
	}
	var p Params
	if req.Rate != nil {
		p.Rate = *req.Rate
	}
	if req.Max != nil {
		p.Max = *req.Max
		if p.Max == 0 {
			p.Max = -1 // an explicit 0 is invalid, not "use the default"
		}
	}
	if req.ExpiresInSeconds != nil && *req.ExpiresInSeconds > 0 {
		// Clamp before converting so a huge number cannot overflow Duration;
		// Start then rejects it against MaxExpiry.
		secs := min(*req.ExpiresInSeconds, 1e9)
		p.ExpiresIn = max(time.Duration(secs*float64(time.Second)), time.Millisecond)
	}
	if req.RunID != nil {
		p.RunID = *req.RunID
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
