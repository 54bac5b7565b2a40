package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Attributes this package sets on the server span of an RPC.
const (
	// AttrUpstreamCalls is how many modeclient calls the RPC made.
	AttrUpstreamCalls = attribute.Key("modeplatform.upstream.calls")
	// AttrUpstreamRequests is how many HTTP requests those calls sent to Mode.
	AttrUpstreamRequests = attribute.Key("modeplatform.upstream.requests")
	// AttrFromCache is true when the RPC made client calls and every one was
	// answered without a request to Mode (cache hits or coalesced waits).
	AttrFromCache = attribute.Key("modeplatform.cache.served")
	// AttrCaller is the caller identity recorded with SetCaller or HandlerConfig.Caller.
	AttrCaller = attribute.Key("modeplatform.caller")
	// AttrStreamMessages, AttrStreamRows and AttrStreamBytes describe what a
	// server stream sent: messages, result rows (the length of a repeated
	// message field named "rows") and the messages' encoded size.
	AttrStreamMessages = attribute.Key("modeplatform.stream.messages")
	AttrStreamRows     = attribute.Key("modeplatform.stream.rows")
	AttrStreamBytes    = attribute.Key("modeplatform.stream.bytes")
)

// HandlerConfig adjusts HandlerOptions.
type HandlerConfig struct {
	// AccessLog receives one record per RPC (see NewAccessLog); nil: no
	// access log.
	AccessLog *slog.Logger
	// Caller, when set, names the caller of an RPC from its request headers
	// (a service name, an API key's public ID — never a secret); SetCaller
	// can set it later, from inside the handler chain.
	Caller func(ctx context.Context, header http.Header) string
}

// HandlerOptions returns the Connect handler options that instrument the
// services; pass them to service.Server.Routes. They hold one interceptor,
// which for every RPC (unary and streaming)
//
//   - continues the caller's trace (its traceparent: callers are internal
//     services) in a server span named after the procedure, with the
//     attributes of OpenTelemetry's RPC conventions as otelconnect sets them
//     (rpc.system.name, rpc.method, rpc.response.status_code, error.type) and
//     the span status of a server's own failures;
//   - records rpc.server.call.duration by rpc.system.name, rpc.method and
//     rpc.response.status_code (and error.type);
//   - collects the modeclient calls of the RPC (modeclient.WithCallObserver)
//     and what server streams send, puts them on the server span and in the
//     stream metrics, counts the open streams (modeplatform.stream.active);
//   - writes the access log.
//
// One layer rather than otelconnect's interceptor and a second one of ours:
// each layer of the chain costs every call (issue 18's profile).
func (t *Telemetry) HandlerOptions(hc HandlerConfig) []connect.HandlerOption {
	obs := &rpcObserver{
		log: hc.AccessLog, caller: hc.Caller, inst: &t.inst,
		tracer: t.tracing.Tracer(ScopeName), prop: headerPropagator{t.prop},
	}
	return []connect.HandlerOption{connect.WithInterceptors(obs)}
}

// NewAccessLog returns a Connect interceptor that writes one record per RPC
// handled to logger's handler, with the context of the RPC and no source
// location:
//
//	trace_id and span_id (first, when a tracing interceptor runs before
//	it; NewLogHandler does not add them again), procedure, protocol, code ("ok" or the Connect code), duration_ms, peer,
//	caller (when known), error (the message of a failed RPC),
//	upstream_calls and upstream_requests (modeclient calls and the HTTP
//	requests they sent to Mode), from_cache, cache (outcome counts: hit,
//	miss, coalesced, bypass, uncached) and, for server streams, messages,
//	rows and bytes sent.
//
// Failed RPCs with codes that point at the server (Internal, Unknown,
// DataLoss) are logged at Error; Unavailable, DeadlineExceeded,
// ResourceExhausted and Unimplemented at Warn; the rest at Info. No header value is logged.
// caller may be nil. HandlerOptions includes it when HandlerConfig.AccessLog is set.
func NewAccessLog(logger *slog.Logger, caller func(ctx context.Context, header http.Header) string) connect.Interceptor {
	if logger == nil {
		logger = slog.Default()
	}
	return &rpcObserver{log: logger, caller: caller}
}

type callerKey struct{}

// SetCaller records the identity of the caller of the RPC ctx belongs to (a
// service or key name, never a secret) for the access log and the server
// span. Call it from an interceptor or handler that runs inside
// HandlerOptions' (or NewAccessLog's) interceptor; elsewhere it does nothing.
func SetCaller(ctx context.Context, id string) {
	if st, ok := ctx.Value(callerKey{}).(*rpcState); ok {
		st.mu.Lock()
		st.c.caller = id
		st.mu.Unlock()
	}
}

// rpcObserver is the interceptor behind HandlerOptions and NewAccessLog.
type rpcObserver struct {
	log    *slog.Logger // nil: no access log
	caller func(context.Context, http.Header) string
	inst   *instruments // nil: no metrics
	tracer trace.Tracer // nil: no server span
	prop   propagation.TextMapPropagator
}

// rpcState collects what one RPC did; handlers may call modeclient from
// several goroutines. It is also a layer of the RPC's context: its parent's
// values plus itself under callerKey{} (for SetCaller), which spares a
// context.WithValue per RPC.
type rpcState struct {
	context.Context            // the parent
	span            trace.Span // nil without a tracer
	mu              sync.Mutex
	c               rpcCounts
}

// Value implements context.Context.
func (st *rpcState) Value(key any) any {
	if _, ok := key.(callerKey); ok {
		return st
	}
	return st.Context.Value(key)
}

type rpcCounts struct {
	caller   string
	calls    int
	requests int
	outcomes [4]int // by cache.Outcome, for cached calls
	uncached int
	messages int64
	rows     int64
	bytes    int64
}

func (st *rpcState) observe(ci modeclient.CallInfo) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.c.calls++
	st.c.requests += ci.Attempts
	if !ci.Cached {
		st.c.uncached++
	} else if int(ci.Outcome) >= 0 && int(ci.Outcome) < len(st.c.outcomes) {
		st.c.outcomes[ci.Outcome]++
	}
}

func (st *rpcState) sent(msg any) {
	rows, size := messageCounts(msg)
	st.mu.Lock()
	st.c.messages++
	st.c.rows += rows
	st.c.bytes += size
	st.mu.Unlock()
}

// messageCounts returns the rows in a response message (the length of its
// repeated message field "rows", if any) and its encoded size. It is called
// just after the message was sent: the binary codec's marshalling has left
// the size in the message's size cache, so a stream's batches are not sized
// a second time (that was 15% of the server's CPU while streaming rows).
// Without a cached size (the JSON codec) the size is computed.
func messageCounts(msg any) (rows, size int64) {
	m, ok := msg.(proto.Message)
	if !ok {
		return 0, 0
	}
	r := m.ProtoReflect()
	if fd := r.Descriptor().Fields().ByName("rows"); fd != nil && fd.IsList() && fd.Kind() == protoreflect.MessageKind {
		rows = int64(r.Get(fd).List().Len())
	}
	return rows, int64(sizeAfterMarshal.Size(m))
}

// sizeAfterMarshal reads the size that marshalling cached in a message.
var sizeAfterMarshal = proto.MarshalOptions{UseCachedSize: true}

func (o *rpcObserver) begin(ctx context.Context, spec connect.Spec, peer connect.Peer, header http.Header) (context.Context, *rpcState) {
	st := &rpcState{}
	if o.tracer != nil {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			ctx = o.prop.Extract(ctx, propagation.HeaderCarrier(header))
		}
		ctx, st.span = o.tracer.Start(ctx, trimSlash(spec.Procedure), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(rpcSystem(peer.Protocol), semconv.RPCMethodKey.String(trimSlash(spec.Procedure))))
	}
	st.Context = ctx
	if o.caller != nil {
		st.c.caller = o.caller(ctx, header)
	}
	return modeclient.WithCallObserver(st, st.observe), st
}

// rpcSystem is the rpc.system.name attribute of a Connect protocol name, as
// otelconnect writes it.
func rpcSystem(protocol string) attribute.KeyValue {
	switch protocol {
	case connect.ProtocolGRPC, connect.ProtocolGRPCWeb:
		return semconv.RPCSystemNameKey.String("grpc")
	case connect.ProtocolConnect:
		return semconv.RPCSystemNameKey.String("connectrpc")
	}
	return semconv.RPCSystemNameKey.String(protocol)
}

// statusCode is the rpc.response.status_code of an RPC's error: "OK" or the
// Connect code in capitals ("NOT_FOUND").
func statusCode(err error) string {
	if err == nil {
		return "OK"
	}
	return strings.ToUpper(connect.CodeOf(err).String())
}

// durationKey names one attribute set of the RPC duration histogram.
type durationKey struct{ protocol, procedure, code string }

// durationSets caches the attribute sets of the RPC duration histogram
// (durationKey → metric.MeasurementOption): procedures, protocols and codes
// are few, and building a set allocates.
var durationSets sync.Map

// durationSet returns the measurement option of an RPC's duration.
func durationSet(protocol, procedure string, err error) metric.MeasurementOption {
	k := durationKey{protocol, procedure, statusCode(err)}
	if v, ok := durationSets.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	attrs := []attribute.KeyValue{rpcSystem(protocol), semconv.RPCMethodKey.String(trimSlash(procedure)), semconv.RPCResponseStatusCodeKey.String(k.code)}
	if err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(k.code))
	}
	v, _ := durationSets.LoadOrStore(k, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	return v.(metric.MeasurementOption)
}

// serverFault reports whether an RPC's error is the server's failure, which
// marks its span as an error (OpenTelemetry's RPC conventions: callers'
// mistakes such as NotFound leave a server span's status unset).
func serverFault(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnknown, connect.CodeDeadlineExceeded, connect.CodeUnimplemented,
		connect.CodeInternal, connect.CodeUnavailable, connect.CodeDataLoss:
		return true
	}
	return false
}

// WrapUnary implements connect.Interceptor.
func (o *rpcObserver) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		ctx, st := o.begin(ctx, req.Spec(), req.Peer(), req.Header())
		resp, err := next(ctx, req)
		o.finish(ctx, req.Spec(), req.Peer(), st, time.Since(start), err, false)
		return resp, err
	}
}

// WrapStreamingClient implements connect.Interceptor (client calls pass through).
func (o *rpcObserver) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (o *rpcObserver) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		ctx, st := o.begin(ctx, conn.Spec(), conn.Peer(), conn.RequestHeader())
		if o.inst != nil {
			defer o.inst.streamOpen(ctx, conn.Spec())()
		}
		err := next(ctx, &countingConn{StreamingHandlerConn: conn, st: st})
		o.finish(ctx, conn.Spec(), conn.Peer(), st, time.Since(start), err, conn.Spec().StreamType&connect.StreamTypeServer != 0)
		return err
	}
}

// countingConn counts what a handler sends.
type countingConn struct {
	connect.StreamingHandlerConn
	st *rpcState
}

func (c *countingConn) Send(msg any) error {
	err := c.StreamingHandlerConn.Send(msg)
	if err == nil {
		c.st.sent(msg)
	}
	return err
}

func (o *rpcObserver) finish(ctx context.Context, spec connect.Spec, peer connect.Peer, st *rpcState, d time.Duration, err error, stream bool) {
	st.mu.Lock()
	s := st.c
	st.mu.Unlock()

	// The server span: this interceptor's own, or (NewAccessLog) the span of
	// a tracing interceptor around it, which only gets the RPC's counts.
	span, own := st.span, st.span != nil
	if !own {
		span = trace.SpanFromContext(ctx)
	}
	if span.IsRecording() {
		if own {
			code := statusCode(err)
			span.SetAttributes(semconv.RPCResponseStatusCodeKey.String(code))
			if err != nil {
				span.SetAttributes(semconv.ErrorTypeKey.String(code))
				if serverFault(err) {
					span.SetStatus(codes.Error, connectMessage(err))
				}
			}
		}
		span.SetAttributes(s.spanAttributes(stream)...)
	}
	if own {
		span.End()
	}
	if o.inst != nil && o.inst.rpcDuration != nil {
		o.inst.rpcDuration.Record(ctx, d.Seconds(), durationSet(peer.Protocol, spec.Procedure, err))
	}
	if stream && o.inst != nil {
		set := metric.WithAttributeSet(attribute.NewSet(attribute.String("rpc.method", trimSlash(spec.Procedure))))
		o.inst.streamMessages.Add(ctx, s.messages, set)
		o.inst.streamRows.Add(ctx, s.rows, set)
		o.inst.streamBytes.Add(ctx, s.bytes, set)
	}
	if o.log == nil {
		return
	}

	code, level := "ok", slog.LevelInfo
	var msg string
	if err != nil {
		c := connect.CodeOf(err)
		code = c.String()
		switch c {
		case connect.CodeInternal, connect.CodeUnknown, connect.CodeDataLoss:
			level = slog.LevelError
		case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeResourceExhausted, connect.CodeUnimplemented:
			level = slog.LevelWarn
		}
		msg = connectMessage(err)
	}
	if !o.log.Enabled(ctx, level) {
		return
	}
	var buf [18]slog.Attr // on the stack: the record copies them
	attrs := buf[:0]
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		// First: NewLogHandler leaves records that start with them alone
		// (no copy of the record to add them at the end).
		tid, sid := hexIDs(sc)
		attrs = append(attrs, slog.String(LogKeyTraceID, tid), slog.String(LogKeySpanID, sid))
	}
	attrs = append(attrs,
		slog.String("procedure", spec.Procedure),
		slog.String("protocol", peer.Protocol),
		slog.String("code", code),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	)
	if peer.Addr != "" {
		attrs = append(attrs, slog.String("peer", peer.Addr))
	}
	if s.caller != "" {
		attrs = append(attrs, slog.String("caller", s.caller))
	}
	if msg != "" {
		attrs = append(attrs, slog.String("error", msg))
	}
	attrs = append(attrs,
		slog.Int("upstream_calls", s.calls),
		slog.Int("upstream_requests", s.requests),
		slog.Bool("from_cache", s.fromCache()),
	)
	if s.calls > 0 {
		attrs = append(attrs, s.cacheAttr())
	}
	if stream {
		attrs = append(attrs, slog.Int64("messages", s.messages), slog.Int64("rows", s.rows), slog.Int64("bytes", s.bytes))
	}
	// The record is made here rather than by Logger.LogAttrs, which would
	// also walk the stack for the caller's program counter: the access
	// log's source location says nothing.
	r := slog.NewRecord(time.Now(), level, "rpc", 0)
	r.AddAttrs(attrs...)
	_ = o.log.Handler().Handle(ctx, r)
}

// connectMessage is the message of a Connect error without its code, or
// err's text.
func connectMessage(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return err.Error()
}

// fromCache reports whether the RPC made client calls and all of them were
// answered without a request to Mode.
func (s *rpcCounts) fromCache() bool { return s.calls > 0 && s.requests == 0 }

// commonSpanAttrs holds the server span attributes of the usual RPCs (few
// client calls and requests, no caller recorded, not a stream), so that
// they are not built for every call: [calls][requests].
var commonSpanAttrs = func() (t [4][4][]attribute.KeyValue) {
	for c := range t {
		for r := range t[c] {
			t[c][r] = []attribute.KeyValue{AttrUpstreamCalls.Int(c), AttrUpstreamRequests.Int(r), AttrFromCache.Bool(c > 0 && r == 0)}
		}
	}
	return t
}()

// spanAttributes returns the attributes finish sets on the server span.
// The caller must not modify the slice.
func (s *rpcCounts) spanAttributes(stream bool) []attribute.KeyValue {
	if !stream && s.caller == "" && s.calls < len(commonSpanAttrs) && s.requests < len(commonSpanAttrs[0]) {
		return commonSpanAttrs[s.calls][s.requests]
	}
	attrs := make([]attribute.KeyValue, 0, 7)
	attrs = append(attrs,
		AttrUpstreamCalls.Int(s.calls),
		AttrUpstreamRequests.Int(s.requests),
		AttrFromCache.Bool(s.fromCache()),
	)
	if s.caller != "" {
		attrs = append(attrs, AttrCaller.String(s.caller))
	}
	if stream {
		attrs = append(attrs, AttrStreamMessages.Int64(s.messages), AttrStreamRows.Int64(s.rows), AttrStreamBytes.Int64(s.bytes))
	}
	return attrs
}

// accessLogCacheKey is the access log's group of cache outcome counts.
const accessLogCacheKey = "cache"

// singleCallCache holds the access log's cache group of an RPC that made
// one client call, by outcome (the last entry: an uncached call).
var singleCallCache = func() (t [len(rpcCounts{}.outcomes) + 1]slog.Attr) {
	for oc := range len(t) - 1 {
		t[oc] = slog.Attr{Key: accessLogCacheKey, Value: slog.GroupValue(slog.Int(cache.Outcome(oc).String(), 1))}
	}
	t[len(t)-1] = slog.Attr{Key: accessLogCacheKey, Value: slog.GroupValue(slog.Int("uncached", 1))}
	return t
}()

// cacheAttr returns the access log's cache group: how many client calls
// the cache answered in each way, and how many did not go through it.
func (s *rpcCounts) cacheAttr() slog.Attr {
	if s.calls == 1 {
		if s.uncached == 1 {
			return singleCallCache[len(singleCallCache)-1]
		}
		for oc, n := range s.outcomes {
			if n == 1 {
				return singleCallCache[oc]
			}
		}
	}
	group := make([]slog.Attr, 0, len(s.outcomes)+1)
	for oc, n := range s.outcomes {
		if n > 0 {
			group = append(group, slog.Int(cache.Outcome(oc).String(), n))
		}
	}
	if s.uncached > 0 {
		group = append(group, slog.Int("uncached", s.uncached))
	}
	return slog.Attr{Key: accessLogCacheKey, Value: slog.GroupValue(group...)}
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}
