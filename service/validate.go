package service

import (
	"errors"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
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
	err := protovalidate.Validate(msg)
	if err == nil {
		return nil
	}
	ce := connect.NewError(connect.CodeInvalidArgument, err)
	var verr *protovalidate.ValidationError
	if errors.As(err, &verr) {
		errdetail.Add(ce, verr.ToProto())
	}
	return ce
}
