package service

import (
	"errors"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// TestValidateFastEqualsProtovalidate sets every shortcut field of every
// request type to names valid and invalid in each way, and checks that
// validateFast answers exactly what protovalidate answers.
func TestValidateFastEqualsProtovalidate(t *testing.T) {
	ws := "workspaces/parch_and_posey"
	values := []string{
		"", "x", "-", "849c9a32d24b", strings.Repeat("a", 64), strings.Repeat("a", 65), "a b", "a/b", "ä",
		ws, ws + "/", "workspaces/-", "workspaces/" + strings.Repeat("w", 65),
		ws + "/reports/849c9a32d24b", ws + "/reports/-", ws + "/reports/849c9a32d24b/", ws + "/reports/8 4",
		ws + "/reports/r/runs/u", ws + "/reports/r/runs/u/queryRuns/q", ws + "/datasets/d", ws + "/spaces/s",
		ws + "/groups/g", ws + "/dataSources/d", ws + "/memberships/m", ws + "/definitions/d",
		ws + "/reports/r/queries/q", ws + "/reports/r/schedules/s", ws + "/reports/r/filters/f",
	}
	checked := 0
	var types []protoreflect.MessageType
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if fd.Package() != "modeplatform.v1" {
			return true
		}
		svcs := fd.Services()
		for i := range svcs.Len() {
			methods := svcs.Get(i).Methods()
			for j := range methods.Len() {
				mt, err := protoregistry.GlobalTypes.FindMessageByName(methods.Get(j).Input().FullName())
				if err != nil {
					t.Fatal(err)
				}
				types = append(types, mt)
			}
		}
		return true
	})
	if len(types) < 90 {
		t.Fatalf("found %d request types", len(types))
	}
	for _, mt := range types {
		plan := planOf(mt.Descriptor())
		for _, f := range plan.fast {
			for _, v := range values {
				msg := mt.New()
				msg.Set(f.field, protoreflect.ValueOfString(v))
				got, want := validateFast(msg.Interface()), protovalidate.Validate(msg.Interface())
				if !sameValidation(got, want) {
					t.Errorf("%s.%s = %q: validateFast %v, protovalidate %v", mt.Descriptor().FullName(), f.field.Name(), v, got, want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no request type has a shortcut field")
	}
	if plan := planOf((&modeplatformv1.GetReportRequest{}).ProtoReflect().Descriptor()); len(plan.fast) != 1 || plan.fast[0].field.Name() != "name" {
		t.Errorf("GetReportRequest's name is not checked by the shortcut: %+v", plan.fast)
	}
}

// sameValidation reports whether two validation results are both nil, or
// both protovalidate violations that are equal.
func sameValidation(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var va, vb *protovalidate.ValidationError
	if !errors.As(a, &va) || !errors.As(b, &vb) {
		return a.Error() == b.Error()
	}
	return proto.Equal(va.ToProto(), vb.ToProto())
}
