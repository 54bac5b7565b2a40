package service

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// Server streams (WatchReportRun, StreamQueryResults, ExportQueryResults)
// share these controls:
//
//   - every Send has an idle timeout (Options.StreamIdleTimeout): a caller
//     that stops reading for that long has its stream reset (the write
//     deadline of its HTTP response), and the handler returns, closing its
//     Mode response and freeing its slots;
//   - a stream lives at most Options.StreamMaxLifetime, then ends with
//     Unavailable, RetryInfo and the offset to resume from;
//   - Server.DrainStreams (the server shutting down) ends every open stream
//     the same way, and any stream opened after it at once.
//
// The offset to resume from is in the ErrorInfo metadata key resume_offset,
// in the unit of the request's offset field (rows for StreamQueryResults,
// bytes for ExportQueryResults); WatchReportRun has none (a watch resumes by
// watching again).

// MaxStreamMessageBytes bounds every message a result stream sends (its
// protobuf encoding), below the 4 MiB that gRPC clients accept by default:
// Options.StreamBatchBytes, Options.MaxResultRowBytes and
// Options.ExportChunkBytes may not exceed it.
const MaxStreamMessageBytes = 3<<20 + 512<<10

// ErrorInfo reasons of a stream ended by the server, part of the contract
// like the others (errors.go).
const (
	// ReasonServerDraining: the server is shutting down; resume on another
	// replica (or this one, restarted) from resume_offset.
	ReasonServerDraining = "SERVER_DRAINING"
	// ReasonStreamLifetime: the stream was open for Options.StreamMaxLifetime;
	// resume from resume_offset.
	ReasonStreamLifetime = "STREAM_LIFETIME_EXCEEDED"
	// ReasonStreamIdle: the caller did not read for
	// Options.StreamIdleTimeout. The stream is reset, so the caller rarely
	// sees this; it is what the server logs.
	ReasonStreamIdle = "STREAM_IDLE"
	// ReasonUpstreamTruncated: Mode's answer ended before its end (cut
	// connection, body shorter than its length, invalid framing); resume
	// from resume_offset.
	ReasonUpstreamTruncated = "UPSTREAM_TRUNCATED"
	// ReasonResultRowTooLarge: a result row (or one of its values) is
	// larger than a stream message may carry; metadata row_offset and
	// limit_bytes. Export the result instead.
	ReasonResultRowTooLarge = "RESULT_ROW_TOO_LARGE"
)

// streamRetryDelay is the RetryInfo delay of a stream the server ended: a
// caller may resume at once (on another replica when this one drains).
const streamRetryDelay = time.Second

// Causes of a stream's end on the server's side, as Options.OnStreamEnd
// receives them.
var (
	ErrServerDraining = errors.New("the server is shutting down")
	ErrStreamLifetime = errors.New("the stream reached its maximum lifetime")
	ErrStreamIdle     = errors.New("the caller stopped reading")
)

// streamSet holds the open streams, to end them when the server drains.
type streamSet struct {
	mu       sync.Mutex
	open     map[*streamCtl]struct{}
	draining bool
}

// drain ends every open stream, and every stream opened from now on, with
// ErrServerDraining.
func (s *streamSet) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.draining = true
	for sc := range s.open {
		sc.cancel(ErrServerDraining)
	}
}

// count is how many streams are open.
func (s *streamSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// streamCtl is one server stream in progress.
type streamCtl struct {
	core     *core
	ctx      context.Context
	cancel   context.CancelCauseFunc
	lifetime *time.Timer
	rc       *http.ResponseController // nil outside an HTTP handler (Routes)
	idle     bool                     // a Send outlasted the idle timeout
}

// cause is why the server ended the stream (ErrServerDraining,
// ErrStreamLifetime, ErrStreamIdle), or nil.
func (sc *streamCtl) cause() error {
	if sc.idle {
		return ErrStreamIdle // the reset also cancels the request's context
	}
	switch c := context.Cause(sc.ctx); {
	case errors.Is(c, ErrServerDraining), errors.Is(c, ErrStreamLifetime):
		return c
	}
	return nil
}

// startStream registers a stream whose handler runs on ctx. The handler
// must use the returned context (it ends when the stream is to end) and call
// end when it returns.
func (c *core) startStream(ctx context.Context) (*streamCtl, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	sc := &streamCtl{core: c, ctx: ctx, cancel: cancel}
	sc.rc, _ = ctx.Value(responseControllerKey{}).(*http.ResponseController)
	s := &c.streams
	s.mu.Lock()
	if s.open == nil {
		s.open = map[*streamCtl]struct{}{}
	}
	s.open[sc] = struct{}{}
	if s.draining {
		cancel(ErrServerDraining)
	}
	s.mu.Unlock()
	sc.lifetime = time.AfterFunc(c.opts.StreamMaxLifetime, func() { cancel(ErrStreamLifetime) })
	return sc, ctx
}

// end unregisters the stream and releases its context.
func (sc *streamCtl) end() {
	sc.lifetime.Stop()
	s := &sc.core.streams
	s.mu.Lock()
	delete(s.open, sc)
	s.mu.Unlock()
	cause := sc.cause()
	sc.cancel(nil)
	if sc.core.opts.OnStreamEnd != nil {
		sc.core.opts.OnStreamEnd(cause)
	}
}

// send runs one Send under the idle timeout: a write that waits longer for
// the caller to read fails, and the stream is to end (ErrStreamIdle).
func (sc *streamCtl) send(fn func() error) error {
	idle := sc.core.opts.StreamIdleTimeout
	if sc.rc == nil || idle <= 0 {
		return fn()
	}
	deadline := sc.core.opts.Now().Add(idle)
	if err := sc.rc.SetWriteDeadline(deadline); err != nil {
		return fn() // not supported by this ResponseWriter: no idle timeout
	}
	err := fn()
	if err != nil {
		// A write deadline that passed fails this write, or (when it passed just as an earlier
		// write completed, so the stream was reset then) the next one: either way the caller
		// stopped reading.
		if !sc.core.opts.Now().Before(deadline) || errors.Is(err, os.ErrDeadlineExceeded) {
			sc.idle = true
			sc.cancel(ErrStreamIdle)
			e := connect.NewError(connect.CodeUnavailable, errorf("the caller did not read the stream for %v: it was reset", idle))
			errdetail.AddInfo(e, ReasonStreamIdle, nil)
			return e
		}
		return err
	}
	_ = sc.rc.SetWriteDeadline(time.Time{})
	return nil
}

// interrupted returns the error of a stream the server ended (draining,
// lifetime, idle caller), with resume as the offset to resume from (< 0:
// none), or nil when the server did not end it.
func (sc *streamCtl) interrupted(resume int64) error {
	var e *connect.Error
	switch cause := sc.cause(); {
	case cause == nil:
		return nil // not ended by the server
	case errors.Is(cause, ErrServerDraining):
		e = connect.NewError(connect.CodeUnavailable, errorf("the server is shutting down: resume the stream%s", resumeHint(resume)))
		errdetail.AddInfo(e, ReasonServerDraining, resumeMeta(resume))
	case errors.Is(cause, ErrStreamLifetime):
		e = connect.NewError(connect.CodeUnavailable, errorf("the stream was open for its maximum lifetime of %v: resume it%s", sc.core.opts.StreamMaxLifetime, resumeHint(resume)))
		errdetail.AddInfo(e, ReasonStreamLifetime, resumeMeta(resume))
	case errors.Is(cause, ErrStreamIdle):
		e = connect.NewError(connect.CodeUnavailable, errorf("the caller did not read the stream for %v", sc.core.opts.StreamIdleTimeout))
		errdetail.AddInfo(e, ReasonStreamIdle, resumeMeta(resume))
	}
	errdetail.AddRetry(e, streamRetryDelay)
	return e
}

// fail is the error a stream handler returns for err: the server's own
// interruption first, else err.
func (sc *streamCtl) fail(err error, resume int64) error {
	if ie := sc.interrupted(resume); ie != nil {
		return ie
	}
	return err
}

func resumeHint(resume int64) string {
	if resume < 0 {
		return ""
	}
	return " from offset " + strconv.FormatInt(resume, 10)
}

func resumeMeta(resume int64) map[string]string {
	if resume < 0 {
		return nil
	}
	return map[string]string{"resume_offset": strconv.FormatInt(resume, 10)}
}

// withResumeOffset returns err (a Connect error) with resume_offset added
// to its ErrorInfo (or a new ErrorInfo when it has none) and, when it is
// Unavailable, its message naming the offset.
func withResumeOffset(err error, resume int64) error {
	var ce *connect.Error
	if !errors.As(err, &ce) || resume < 0 {
		return err
	}
	msg := ce.Message()
	if ce.Code() == connect.CodeUnavailable {
		msg += "; resume" + resumeHint(resume)
	}
	out := connect.NewError(ce.Code(), errors.New(msg))
	found := false
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if info, ok := v.(*errdetails.ErrorInfo); derr == nil && ok && !found {
			found = true
			meta := map[string]string{}
			for k, v := range info.GetMetadata() {
				meta[k] = v
			}
			meta["resume_offset"] = strconv.FormatInt(resume, 10)
			errdetail.AddInfo(out, info.GetReason(), meta)
			continue
		}
		out.AddDetail(d)
	}
	if !found {
		errdetail.AddInfo(out, ReasonUpstreamUnavailable, resumeMeta(resume))
	}
	for k, v := range ce.Meta() {
		out.Meta()[k] = v
	}
	return out
}

// responseControllerKey carries the http.ResponseController of the call's
// response (set by Routes' handlers), for the streams' write deadlines.
type responseControllerKey struct{}

// withResponseController gives the handlers below h the
// http.ResponseController of their response.
func withResponseController(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), responseControllerKey{}, http.NewResponseController(w))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// DrainStreams ends every open server stream — and every one opened from
// now on — with Unavailable, RetryInfo and, for result streams, the offset
// to resume from. A server calls it while shutting down, before its grace
// period ends, so that callers resume elsewhere instead of being cut.
func (s *Server) DrainStreams() { s.core.streams.drain() }

// OpenStreams is how many server streams are open.
func (s *Server) OpenStreams() int { return s.core.streams.count() }
