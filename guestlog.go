package wasmhive

import (
	"context"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Guest log rate: what one component may put in the Host's log (its
// stdout and stderr lines, Extism log_* and wasmhive:logging records),
// across all its instances. A guest that prints in a loop would otherwise
// fill the host's log and spend its CPU formatting; past the rate, records
// are dropped and the next one kept says how many.
const (
	guestLogPerSecond = 100
	guestLogBurst     = 1000
)

// rateLimited returns log with its records limited to guestLogPerSecond
// (bursts of guestLogBurst), shared by every logger derived from it.
func rateLimited(log *slog.Logger) *slog.Logger {
	return slog.New(&rateHandler{next: log.Handler(), st: &rateState{lim: rate.NewLimiter(guestLogPerSecond, guestLogBurst)}})
}

type rateState struct {
	lim     *rate.Limiter
	dropped atomic.Int64
}

// rateHandler drops records past its rate and counts them.
type rateHandler struct {
	next slog.Handler
	st   *rateState
}

func (h *rateHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *rateHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.st.lim.Allow() {
		h.st.dropped.Add(1)
		return nil
	}
	if n := h.st.dropped.Swap(0); n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int64("dropped_before", n))
	}
	return h.next.Handle(ctx, r)
}

func (h *rateHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &rateHandler{next: h.next.WithAttrs(as), st: h.st}
}

func (h *rateHandler) WithGroup(name string) slog.Handler {
	return &rateHandler{next: h.next.WithGroup(name), st: h.st}
}
