// Package contracttest helps tests walk the API contract from its
// descriptors, so that a method added to the contract is covered by them
// without editing them: every method of the three services, and a request
// of any method naming a given resource.
package contracttest

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/modeplatform/modeplatform/service"
)

// Methods returns every method of the three services, in the contract's
// order.
func Methods(t testing.TB) []protoreflect.MethodDescriptor {
	t.Helper()
	var out []protoreflect.MethodDescriptor
	for _, name := range service.ServiceNames {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("contract: %v", err)
		}
		ms := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range ms.Len() {
			out = append(out, ms.Get(i))
		}
	}
	return out
}

// Request returns an empty request of m with its resource name set to name:
// its name, parent or resource field, or else the name of the resource it
// carries (an update's). It fails t if m's request has none of them.
func Request(t testing.TB, m protoreflect.MethodDescriptor, name string) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	msg := mt.New()
	fields := msg.Descriptor().Fields()
	for _, n := range []protoreflect.Name{"name", "parent", "resource"} {
		if fd := fields.ByName(n); fd != nil {
			msg.Set(fd, protoreflect.ValueOfString(name))
			return msg.Interface()
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.MessageKind {
			if inner := fd.Message().Fields().ByName("name"); inner != nil {
				msg.Mutable(fd).Message().Set(inner, protoreflect.ValueOfString(name))
				return msg.Interface()
			}
		}
	}
	t.Fatalf("%s: no resource name field", m.FullName())
	return nil
}
