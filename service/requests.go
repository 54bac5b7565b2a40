package service

import (
	"context"
	"sync"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/modeplatform/modeplatform/internal/namepattern"
	"github.com/modeplatform/modeplatform/modeclient"
)

// requestInterceptor is the services' own handler interceptor, innermost in
// Routes: one layer (a shorter chain costs less stack and fewer calls on
// every request) that
//
//   - validates each request message against the contract's rules
//     (validated: InvalidArgument naming each violated field in a
//     buf.validate.Violations and a google.rpc.BadRequest), the requests of
//     server streams included;
//   - turns `Cache-Control: no-cache` (or `no-store`, `max-age=0`, `Pragma:
//     no-cache`) into a modeclient cache bypass (wantsFresh);
//   - carries a unary request's Idempotency-Key header (one value only)
//     into its context for requestKey.
type requestInterceptor struct{}

// WrapUnary implements connect.Interceptor.
func (requestInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if msg, ok := req.Any().(proto.Message); ok {
			if err := validated(msg); err != nil {
				return nil, err
			}
		}
		h := req.Header()
		if wantsFresh(h) {
			ctx = modeclient.WithCacheBypass(ctx)
		}
		if vals := h.Values(IdempotencyKeyHeader); len(vals) > 0 {
			if len(vals) > 1 {
				return nil, invalidArgument(IdempotencyKeyHeader+" header", "must be sent once")
			}
			ctx = context.WithValue(ctx, idempotencyKeyCtx{}, idempotencyKey{value: vals[0], present: true})
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor (clients pass through).
func (requestInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor: every message the
// handler receives is validated, and the cache bypass applies as for unary
// calls (no create is a stream: no Idempotency-Key).
func (requestInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if wantsFresh(conn.RequestHeader()) {
			ctx = modeclient.WithCacheBypass(ctx)
		}
		return next(ctx, validatingConn{conn})
	}
}

// validatingConn validates each message a stream's handler receives.
type validatingConn struct {
	connect.StreamingHandlerConn
}

// Receive implements connect.StreamingHandlerConn.
func (c validatingConn) Receive(msg any) error {
	if err := c.StreamingHandlerConn.Receive(msg); err != nil {
		return err
	}
	if m, ok := msg.(proto.Message); ok {
		return validated(m)
	}
	return nil
}

// validateFast validates msg as protovalidate.Validate does, with one
// shortcut: string fields whose only rules are `required` and a pattern that
// namepattern compiles (the resource names and identifiers of nearly every
// request) are checked with namepattern instead of a regular expression,
// which was the largest single cost of a cache-hit call. protovalidate then
// checks the rest of the message with those fields filtered out. When a
// shortcut field does not match, the message is validated by protovalidate
// alone, so a refusal's violations are protovalidate's own. namepattern's
// fuzz test holds its matches equal to the regular expressions'.
func validateFast(msg proto.Message) error {
	r := msg.ProtoReflect()
	plan := planOf(r.Descriptor())
	if len(plan.fast) == 0 {
		return protovalidate.Validate(msg)
	}
	for _, f := range plan.fast {
		if v := r.Get(f.field).String(); v == "" || !f.matcher.Match(v) {
			return protovalidate.Validate(msg)
		}
	}
	return protovalidate.Validate(msg, plan.rest)
}

// validationPlan is how validateFast checks one message type.
type validationPlan struct {
	fast []fastField
	rest protovalidate.ValidationOption // protovalidate with the fast fields filtered out
}

// fastField is a string field checked by namepattern.
type fastField struct {
	field   protoreflect.FieldDescriptor
	matcher *namepattern.Matcher
}

// skipFields is the protovalidate filter of a plan: every rule but those of
// the fast fields.
type skipFields map[protoreflect.FieldDescriptor]bool

// ShouldValidate implements protovalidate.Filter.
func (s skipFields) ShouldValidate(_ protoreflect.Message, d protoreflect.Descriptor) bool {
	fd, ok := d.(protoreflect.FieldDescriptor)
	return !ok || !s[fd]
}

// plans caches the validationPlan of each request type
// (protoreflect.FullName → *validationPlan).
var plans sync.Map

// planOf returns md's plan, making it on first use.
func planOf(md protoreflect.MessageDescriptor) *validationPlan {
	if p, ok := plans.Load(md.FullName()); ok {
		return p.(*validationPlan)
	}
	plan := &validationPlan{}
	skip := skipFields{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if m := fastMatcher(fd); m != nil {
			plan.fast = append(plan.fast, fastField{field: fd, matcher: m})
			skip[fd] = true
		}
	}
	plan.rest = protovalidate.WithFilter(skip)
	p, _ := plans.LoadOrStore(md.FullName(), plan)
	return p.(*validationPlan)
}

// fastMatcher returns the namepattern matcher of fd when its rules are a
// pattern and, at most, `required` — nothing else (no CEL, no ignore, no
// other string rule) — on a plain string field (not repeated, not in a
// oneof, no explicit presence), else nil.
func fastMatcher(fd protoreflect.FieldDescriptor) *namepattern.Matcher {
	if fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.ContainingOneof() != nil || fd.HasPresence() {
		return nil
	}
	rules, ok := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	if !ok || rules == nil {
		return nil
	}
	pattern, plain := "", true
	rules.ProtoReflect().Range(func(rf protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch rf.Name() {
		case "required":
		case "string":
			v.Message().Range(func(sf protoreflect.FieldDescriptor, sv protoreflect.Value) bool {
				if sf.Name() != "pattern" {
					plain = false
					return false
				}
				pattern = sv.String()
				return true
			})
		default:
			plain = false
		}
		return plain
	})
	if !plain || pattern == "" {
		return nil
	}
	m, ok := namepattern.Compile(pattern)
	if !ok {
		return nil
	}
	return m
}
