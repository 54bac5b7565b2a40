package service

import (
	"errors"
	"fmt"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// validated checks a request against the contract's rules: the protovalidate
// rules in the .proto files, the only place they are written. The validating
// interceptor of Routes checks every request before its handler runs; the
// write handlers call validated as well, first thing, so that a handler
// reached without that interceptor (mounted by another router, called by a
// test) refuses bad input the same way rather than writing it to Mode. The
// answer is the interceptor's: InvalidArgument, the violations in its message
// and as a buf.validate.Violations detail.
func validated(msg proto.Message) error {
	err := validateFast(msg)
	if err == nil {
		return nil
	}
	ce := connect.NewError(connect.CodeInvalidArgument, err)
	var verr *protovalidate.ValidationError
	if errors.As(err, &verr) {
		errdetail.Add(ce, verr.ToProto())
	}
	return withBadRequest(ce)
}

// withBadRequest adds to an InvalidArgument error that carries the
// contract's buf.validate.Violations a google.rpc.BadRequest naming each
// violated field the same way (`schedule.cron.hour`, `names[2]`), for
// callers whose error handling knows Google's details (AIP-193) rather than
// protovalidate's. Other errors are returned as they are.
func withBadRequest(err error) error {
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument {
		return err
	}
	var violations *validate.Violations
	for _, d := range ce.Details() {
		switch v, _ := d.Value(); v := v.(type) {
		case *errdetails.BadRequest:
			return err // named already
		case *validate.Violations:
			violations = v
		}
	}
	if violations == nil {
		return err
	}
	br := &errdetails.BadRequest{}
	for _, v := range violations.GetViolations() {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: fieldPathString(v.GetField()), Description: v.GetMessage(),
		})
	}
	errdetail.Add(ce, br)
	return err
}

// fieldPathString writes a protovalidate field path as AIP-193 names a
// field: names joined by dots, list indexes and map keys in brackets. A
// message-level rule has no path: "".
func fieldPathString(p *validate.FieldPath) string {
	var b strings.Builder
	for i, el := range p.GetElements() {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(el.GetFieldName())
		switch sub := el.GetSubscript().(type) {
		case *validate.FieldPathElement_Index:
			fmt.Fprintf(&b, "[%d]", sub.Index)
		case *validate.FieldPathElement_StringKey:
			fmt.Fprintf(&b, "[%q]", sub.StringKey)
		case *validate.FieldPathElement_IntKey:
			fmt.Fprintf(&b, "[%d]", sub.IntKey)
		case *validate.FieldPathElement_UintKey:
			fmt.Fprintf(&b, "[%d]", sub.UintKey)
		case *validate.FieldPathElement_BoolKey:
			fmt.Fprintf(&b, "[%t]", sub.BoolKey)
		}
	}
	return b.String()
}
