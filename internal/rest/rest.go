// Package rest serves the contract's REST routes: the google.api.http annotations (AIP-127) of
// every method, such as GET /v1/{name=workspaces/*/reports/*} or
// POST /v1/{name=workspaces/*/reports/*}:run, transcoded by connectrpc.com/vanguard into the
// Connect handlers that serve gRPC, Connect and gRPC-Web, so a REST call passes the same
// interceptors (authentication, the caller's limits, telemetry, validation) as any other.
//
// Only paths under Prefix come here: the Connect, gRPC and gRPC-Web paths
// (/modeplatform.v1.<Service>/<Method>) go straight to their handlers, so REST costs them nothing.
//
// Answers are protobuf's JSON mapping of the method's response message. Errors are in the Google
// JSON error shape, {"error":{"code":404,"message":"…","status":"NOT_FOUND","details":[…]}},
// with the error's details (google.rpc.BadRequest field violations, ErrorInfo, RetryInfo…) as
// protojson Any values. Server streams are not served over REST (vanguard transcodes a server
// stream to REST only when its responses are google.api.HttpBody): their routes answer 501
// UNIMPLEMENTED, naming the Connect/gRPC path to call instead. The OpenAPI document of the routes
// is gen/openapi, served at OpenAPIPath.
package rest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/vanguard"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/modeplatform/modeplatform/gen/openapi"
	"github.com/modeplatform/modeplatform/service"
)

// Prefix is the path prefix of every REST route (the contract's version).
const Prefix = "/v1/"

// OpenAPIPath is where OpenAPIHandler serves the OpenAPI document.
const OpenAPIPath = "/openapi.yaml"

// MaxRequestBytes caps a REST request body, as service.Options.MaxRequestBytes's default caps a
// Connect or gRPC request message.
const MaxRequestBytes = 1 << 20

// NewHandler returns the handler of the REST routes of the services routes serves (service.Routes,
// with every interceptor). Mount it at Prefix.
func NewHandler(routes []service.Route) (http.Handler, error) {
	services := make([]*vanguard.Service, 0, len(routes))
	for _, r := range routes {
		services = append(services, vanguard.NewService(r.Path, r.Handler,
			// The handlers are connect-go's: the Connect protocol with the binary codec is the
			// cheapest hop from the transcoded JSON (one protobuf encoding, no second JSON one).
			vanguard.WithTargetProtocols(vanguard.ProtocolConnect),
			vanguard.WithTargetCodecs(vanguard.CodecProto),
			vanguard.WithMaxMessageBufferBytes(MaxRequestBytes),
		))
	}
	t, err := vanguard.NewTranscoder(services,
		vanguard.WithUnknownHandler(http.HandlerFunc(noRoute)),
		vanguard.WithCodec(newJSONCodec),
	)
	if err != nil {
		return nil, fmt.Errorf("REST transcoder: %w", err)
	}
	return googleErrors(t), nil
}

// newJSONCodec is vanguard's JSON codec with protojson's defaults for answers: fields at their
// default value are left out, as the Connect protocol's JSON and Google's APIs leave them out
// (vanguard's default writes every field, unset messages as null, which the OpenAPI document's
// schemas do not allow). Unknown fields of a request are ignored, as the Connect protocol does.
func newJSONCodec(res vanguard.TypeResolver) vanguard.Codec {
	return &vanguard.JSONCodec{
		MarshalOptions:   protojson.MarshalOptions{Resolver: res},
		UnmarshalOptions: protojson.UnmarshalOptions{Resolver: res, DiscardUnknown: true},
	}
}

// noRoute answers a path under Prefix that no route matches.
func noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, code.Code_NOT_FOUND,
		fmt.Sprintf("no REST route matches %s %s (the routes: %s)", r.Method, r.URL.Path, OpenAPIPath), nil)
}

// googleErrors rewrites the errors next answers into the Google JSON error shape. vanguard answers
// a failed call with a google.rpc.Status in JSON ({"code":5,"message":…,"details":[…]}) and a
// request it cannot route or decode with text/plain; both become {"error":{…}}.
func googleErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ew := &errorWriter{ResponseWriter: w}
		next.ServeHTTP(ew, r)
		if !ew.failed {
			return
		}
		httpCode, rpcCode, msg, details := ew.decode()
		writeError(w, httpCode, rpcCode, msg, details)
	})
}

// errorWriter passes a successful answer through and holds back an error's body.
type errorWriter struct {
	http.ResponseWriter
	wroteHeader bool
	failed      bool
	status      int
	body        bytes.Buffer
}

// WriteHeader implements http.ResponseWriter.
func (e *errorWriter) WriteHeader(statusCode int) {
	if e.wroteHeader {
		return
	}
	e.wroteHeader = true
	if statusCode >= http.StatusBadRequest {
		e.failed, e.status = true, statusCode
		return
	}
	e.ResponseWriter.WriteHeader(statusCode)
}

// Write implements http.ResponseWriter.
func (e *errorWriter) Write(p []byte) (int, error) {
	if !e.wroteHeader {
		e.WriteHeader(http.StatusOK)
	}
	if e.failed {
		return e.body.Write(p)
	}
	return e.ResponseWriter.Write(p)
}

// Flush implements http.Flusher (an error's body is written whole, at the end).
func (e *errorWriter) Flush() {
	if e.failed {
		return
	}
	if f, ok := e.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (e *errorWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// decode reads the held-back error: vanguard's google.rpc.Status, or its plain-text message.
func (e *errorWriter) decode() (httpCode int, rpcCode code.Code, msg string, details []json.RawMessage) {
	httpCode = e.status
	if strings.HasPrefix(e.Header().Get("Content-Type"), "application/json") {
		var ge googleError // noRoute's answer, already in the shape
		if json.Unmarshal(e.body.Bytes(), &ge) == nil && ge.Error.Status != "" {
			var rpcCode code.Code
			if v, ok := code.Code_value[ge.Error.Status]; ok {
				rpcCode = code.Code(v)
			}
			return ge.Error.Code, rpcCode, ge.Error.Message, ge.Error.Details
		}
		var st status.Status
		if err := protojson.Unmarshal(e.body.Bytes(), &st); err == nil {
			for _, d := range st.GetDetails() {
				if b, err := protojson.Marshal(d); err == nil {
					details = append(details, b)
				}
			}
			return httpCode, code.Code(st.GetCode()), st.GetMessage(), details
		}
	}
	msg = strings.TrimSpace(e.body.String())
	if msg == "" {
		msg = http.StatusText(httpCode)
	}
	if httpCode == http.StatusUnsupportedMediaType && strings.Contains(msg, "stream type server") {
		return http.StatusNotImplemented, code.Code_UNIMPLEMENTED,
			"a server stream is not served over REST: call this method with Connect, gRPC or gRPC-Web (its path is in " + OpenAPIPath + ")", nil
	}
	return httpCode, codeOfHTTP(httpCode), msg, nil
}

// codeOfHTTP is the canonical code of an HTTP status of vanguard's own answers (google.rpc.Code's
// HTTP mapping, read backwards).
func codeOfHTTP(httpCode int) code.Code {
	switch httpCode {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestURITooLong:
		return code.Code_INVALID_ARGUMENT
	case http.StatusUnauthorized:
		return code.Code_UNAUTHENTICATED
	case http.StatusForbidden:
		return code.Code_PERMISSION_DENIED
	case http.StatusNotFound:
		return code.Code_NOT_FOUND
	case http.StatusConflict:
		return code.Code_ABORTED
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return code.Code_RESOURCE_EXHAUSTED
	case 499:
		return code.Code_CANCELLED
	case http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return code.Code_UNIMPLEMENTED
	case http.StatusServiceUnavailable:
		return code.Code_UNAVAILABLE
	case http.StatusGatewayTimeout:
		return code.Code_DEADLINE_EXCEEDED
	case http.StatusInternalServerError:
		return code.Code_INTERNAL
	default:
		return code.Code_UNKNOWN
	}
}

// googleError is the Google JSON error shape.
type googleError struct {
	Error googleErrorBody `json:"error"`
}

// googleErrorBody is the "error" object of googleError.
type googleErrorBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details,omitempty"`
}

// writeError answers an error in the Google JSON error shape.
func writeError(w http.ResponseWriter, httpCode int, rpcCode code.Code, msg string, details []json.RawMessage) {
	body, err := json.Marshal(googleError{Error: googleErrorBody{
		Code: httpCode, Message: msg, Status: rpcCode.String(), Details: details,
	}})
	if err != nil { // a detail that is not JSON: impossible, protojson wrote it
		body, _ = json.Marshal(googleError{Error: googleErrorBody{Code: httpCode, Message: msg, Status: rpcCode.String()}})
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpCode)
	_, _ = w.Write(append(body, '\n'))
}

// OpenAPIHandler serves the OpenAPI document of the REST routes (gen/openapi/openapi.yaml, the
// one the binary was built with), with an ETag so that viewers revalidate it cheaply.
func OpenAPIHandler() http.Handler {
	sum := sha256.Sum256(openapi.YAML)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/yaml; charset=utf-8") // RFC 9512
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "openapi.yaml", time.Time{}, bytes.NewReader(openapi.YAML))
	})
}
