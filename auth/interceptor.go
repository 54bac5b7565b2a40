package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"sync"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/telemetry"

	"github.com/modeplatform/modeplatform/modeclient"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of this package's errors
// (the same for every modeplatform error: errdetail.Domain).
const ErrorDomain = errdetail.Domain

// ErrorInfo reasons of this package's errors.
const (
	ReasonUnauthenticated  = "CALLER_UNAUTHENTICATED"
	ReasonPermissionDenied = "CALLER_PERMISSION_DENIED"
)

type callerKey struct{}

// CallerFromContext returns the name of the caller the interceptor
// authenticated for the RPC ctx belongs to.
func CallerFromContext(ctx context.Context) (string, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	if !ok {
		return "", false
	}
	return c.Name, true
}

// CallerID is CallerFromContext without ok: "" when no caller was
// authenticated (for service.Options.CallerID).
func CallerID(ctx context.Context) string {
	name, _ := CallerFromContext(ctx)
	return name
}

// ScopesIn returns the scopes the caller the interceptor authenticated for
// the RPC ctx belongs to holds in workspace (none when the workspace is not
// the caller's); known is false when no caller was authenticated.
func ScopesIn(ctx context.Context, workspace string) (scopes []string, known bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	if !ok {
		return nil, false
	}
	for _, s := range []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin} {
		if c.Allows(workspace, s) {
			scopes = append(scopes, string(s))
		}
	}
	return scopes, true
}

// NewInterceptor returns the Connect handler interceptor that authenticates
// and authorizes every unary and server-streaming call of the services
// against store's policy in force, before the call's handler runs:
//
//   - the caller is named by its bearer key (`Authorization: Bearer <key>`)
//     or, when it sends none, by its verified TLS client certificate
//     (see WithClientCertificates); neither, or a key or certificate the
//     policy does not know, is Unauthenticated;
//   - the procedure's scope (ScopeOf) and the workspace of the request
//     (WorkspaceOf) must be allowed to the caller, else PermissionDenied,
//     whatever the resource; a request whose workspace cannot be read is
//     InvalidArgument.
//
// It records the caller with telemetry.SetCaller (so put it inside the
// telemetry interceptors) and in the context (CallerFromContext).
func NewInterceptor(store *Store) connect.Interceptor {
	return &interceptor{store: store}
}

type interceptor struct{ store *Store }

// authenticate names the caller of a request from its headers and client
// certificate.
func (in *interceptor) authenticate(ctx context.Context, h http.Header) (*Caller, error) {
	p := in.store.Policy()
	vals := h.Values("Authorization")
	switch {
	case len(vals) > 1:
		return nil, unauthenticated("send one Authorization header")
	case len(vals) == 1:
		scheme, key, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, unauthenticated("the Authorization header must be `Bearer <key>`")
		}
		if c := p.ByKey(strings.TrimSpace(key)); c != nil {
			return c, nil
		}
		return nil, unauthenticated("the key is not valid")
	}
	if ids := certIdentities(ctx); len(ids) > 0 {
		if c := p.ByCertificate(ids); c != nil {
			return c, nil
		}
		return nil, unauthenticated("the client certificate is not known to the policy")
	}
	return nil, unauthenticated("no credentials: send `Authorization: Bearer <key>`")
}

// authorize checks that c may call procedure on workspace.
func authorize(c *Caller, procedure, workspace string) error {
	scope, ok := ScopeOf(procedure)
	if !ok {
		return permissionDenied(c, "call this procedure", workspace)
	}
	if !c.Allows(workspace, scope) {
		return permissionDenied(c, string(scope), workspace)
	}
	return nil
}

func (in *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		c, err := in.authenticate(ctx, req.Header())
		if err != nil {
			return nil, err
		}
		telemetry.SetCaller(ctx, c.Name)
		msg, _ := req.Any().(proto.Message)
		w, err := WorkspaceOf(msg)
		if err != nil {
			return nil, err
		}
		if err := authorize(c, req.Spec().Procedure, w); err != nil {
			return nil, err
		}
		return next(context.WithValue(ctx, callerKey{}, c), req)
	}
}

func (in *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (in *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		c, err := in.authenticate(ctx, conn.RequestHeader())
		if err != nil {
			return err
		}
		telemetry.SetCaller(ctx, c.Name)
		if _, ok := ScopeOf(conn.Spec().Procedure); !ok {
			return permissionDenied(c, "call this procedure", "")
		}
		return next(context.WithValue(ctx, callerKey{}, c), &authorizingConn{StreamingHandlerConn: conn, caller: c})
	}
}

// authorizingConn checks each request message of a stream as it is
// received: for server streams that is the one request, received before the
// handler is called.
type authorizingConn struct {
	connect.StreamingHandlerConn
	caller *Caller
}

func (a *authorizingConn) Receive(m any) error {
	if err := a.StreamingHandlerConn.Receive(m); err != nil {
		return err
	}
	msg, _ := m.(proto.Message)
	w, err := WorkspaceOf(msg)
	if err != nil {
		return err
	}
	return authorize(a.caller, a.Spec().Procedure, w)
}

// ScopeOf returns the scope a procedure ("/modeplatform.v1.ReportService/RunReport")
// needs, as the contract declares it: the (modeplatform.v1.method).scope option of
// the method (proto/modeplatform/v1/options.proto). A procedure that is not a
// method of the contract, or whose method declares no scope, has none: it is
// refused.
func ScopeOf(procedure string) (Scope, bool) {
	s, ok := procedureScopes()[procedure]
	return s, ok
}

// procedureScopes maps every procedure of the contract's services to its scope,
// read once from the registered descriptors.
var procedureScopes = sync.OnceValue(func() map[string]Scope {
	scopes := map[string]Scope{}
	protoregistry.GlobalFiles.RangeFilesByPackage(contractPackage, func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				if s, ok := scopeOfMethod(md); ok {
					scopes["/"+string(sd.FullName())+"/"+string(md.Name())] = s
				}
			}
		}
		return true
	})
	return scopes
})

// contractPackage is the protobuf package of the contract's services.
const contractPackage = "modeplatform.v1"

// scopeOfMethod reads the scope option of a method: none when it declares none.
func scopeOfMethod(md protoreflect.MethodDescriptor) (Scope, bool) {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil || !proto.HasExtension(opts, modeplatformv1.E_Method) {
		return "", false
	}
	rules, _ := proto.GetExtension(opts, modeplatformv1.E_Method).(*modeplatformv1.MethodRules)
	switch rules.GetScope() {
	case modeplatformv1.Scope_SCOPE_READ:
		return ScopeRead, true
	case modeplatformv1.Scope_SCOPE_WRITE:
		return ScopeWrite, true
	case modeplatformv1.Scope_SCOPE_RUN:
		return ScopeRun, true
	case modeplatformv1.Scope_SCOPE_ADMIN:
		return ScopeAdmin, true
	}
	return "", false
}

// WorkspaceOf returns the workspace a request message is about: the
// `{workspace}` of its first resource name, read from the message's `name`
// or `parent` field or, for updates, the `name` of the resource it carries
// (`report.name`, `space.name`, `query.name`). The name must start with
// `workspaces/{workspace}` (and the rest is left to the request's
// validation); anything else is InvalidArgument.
func WorkspaceOf(msg proto.Message) (string, error) {
	if msg == nil {
		return "", invalid("request", "is missing")
	}
	field, name, ok := resourceName(msg.ProtoReflect())
	if !ok {
		return "", invalid("name", "the request names no resource")
	}
	rest, ok := strings.CutPrefix(name, "workspaces/")
	if !ok {
		return "", invalid(field, "must be a resource name starting with workspaces/{workspace}")
	}
	w, _, _ := strings.Cut(rest, "/")
	if !modeclient.ValidWorkspace(w) {
		return "", invalid(field, "must be a resource name starting with workspaces/{workspace}")
	}
	return w, nil
}

// resourceName finds the request's resource name field: name, parent or
// resource (AIP-211's) at the top, else the name of a top-level message
// field.
func resourceName(m protoreflect.Message) (field, name string, ok bool) {
	fields := m.Descriptor().Fields()
	for _, n := range []protoreflect.Name{"name", "parent", "resource"} {
		if fd := fields.ByName(n); fd != nil && fd.Kind() == protoreflect.StringKind && fd.Cardinality() != protoreflect.Repeated {
			return string(n), m.Get(fd).String(), true
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			continue
		}
		inner := fd.Message().Fields().ByName("name")
		if inner == nil || inner.Kind() != protoreflect.StringKind {
			continue
		}
		return string(fd.Name()) + ".name", m.Get(fd).Message().Get(inner).String(), true
	}
	return "", "", false
}

// certIdentities returns the identities of the verified client certificate
// of the request ctx belongs to: its URI and DNS SANs and subject CN.
func certIdentities(ctx context.Context) []string {
	cert, ok := ctx.Value(certKey{}).(*x509.Certificate)
	if !ok || cert == nil {
		return nil
	}
	var ids []string
	for _, u := range cert.URIs {
		ids = append(ids, u.String())
	}
	ids = append(ids, cert.DNSNames...)
	if cert.Subject.CommonName != "" {
		ids = append(ids, cert.Subject.CommonName)
	}
	return ids
}

type certKey struct{}

// WithClientCertificates passes the verified TLS client certificate of each
// request (the leaf of its first verified chain) to the interceptor. Wrap
// the server's handler with it when clients may authenticate with
// certificates (--client-ca). Certificates the TLS layer did not verify are
// ignored.
func WithClientCertificates(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			r = r.WithContext(context.WithValue(r.Context(), certKey{}, r.TLS.VerifiedChains[0][0]))
		}
		next.ServeHTTP(w, r)
	})
}

func unauthenticated(why string) error {
	e := connect.NewError(connect.CodeUnauthenticated, errors.New("unauthenticated: "+why))
	e.Meta().Set("WWW-Authenticate", `Bearer realm="modeplatform"`)
	errdetail.AddInfo(e, ReasonUnauthenticated, nil)
	return e
}

// permissionDenied is the same whether or not the resource exists: it
// names the caller, the scope and the workspace, nothing the caller did not
// send.
func permissionDenied(c *Caller, what, workspace string) error {
	msg := "permission denied: caller " + c.Name + " may not " + what
	if workspace != "" {
		msg += " in workspaces/" + workspace
	}
	e := connect.NewError(connect.CodePermissionDenied, errors.New(msg))
	meta := map[string]string{"caller": c.Name}
	if workspace != "" {
		meta["workspace"] = workspace
	}
	errdetail.AddInfo(e, ReasonPermissionDenied, meta)
	return e
}

func invalid(field, reason string) error {
	e := connect.NewError(connect.CodeInvalidArgument, errors.New(field+": "+reason))
	errdetail.AddBadRequest(e, field, reason)
	return e
}
