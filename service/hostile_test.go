package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/internal/contracttest"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// Hostile input: malformed names, oversized and deeply nested messages, forged page tokens and
// page sizes. Each is refused with InvalidArgument or ResourceExhausted, never a panic, and
// never reaches Mode.

// invoke calls m with msg through the generated client, reading a stream to its end.
func (c clients) invoke(ctx context.Context, t *testing.T, m protoreflect.MethodDescriptor, msg proto.Message) error {
	t.Helper()
	var client any
	switch string(m.Parent().FullName()) {
	case modeplatformv1connect.WorkspaceServiceName:
		client = c.ws
	case modeplatformv1connect.ReportServiceName:
		client = c.rs
	case modeplatformv1connect.DatasetServiceName:
		client = c.dts
	default:
		client = c.ds
	}
	fn := reflect.ValueOf(client).MethodByName(string(m.Name()))
	req := reflect.New(fn.Type().In(1).Elem())
	req.Elem().FieldByName("Msg").Set(reflect.ValueOf(msg))
	out := fn.Call([]reflect.Value{reflect.ValueOf(ctx), req})
	if err, _ := out[1].Interface().(error); err != nil || !m.IsStreamingServer() {
		return err
	}
	stream := out[0]
	defer stream.MethodByName("Close").Call(nil)
	for stream.MethodByName("Receive").Call(nil)[0].Bool() {
	}
	err, _ := stream.MethodByName("Err").Call(nil)[0].Interface().(error)
	return err
}

// refused fails t unless err is InvalidArgument or ResourceExhausted.
func refused(t *testing.T, err error) {
	t.Helper()
	if c := connect.CodeOf(err); err == nil || (c != connect.CodeInvalidArgument && c != connect.CodeResourceExhausted) {
		t.Fatalf("err = %v, want InvalidArgument or ResourceExhausted", err)
	}
}

func TestHostileNames(t *testing.T) {
	e := newEnv(t, envConfig{})
	c := e.clients(protocols[0])
	ws := "workspaces/parch_and_posey"
	hostile := []string{
		"..", "%2e%2e", ".", "a/b", "a%2Fb", "a?x=1", "a#frag", "a\x00b", "a b", "a\\b", "\u202e", "é",
		"", strings.Repeat("a", 65), strings.Repeat("a", 100_000),
	}
	before := e.upstream()
	for _, m := range contracttest.Methods(t) {
		for _, bad := range hostile {
			for _, name := range []string{
				ws + "/reports/" + bad,       // in a token's place
				"workspaces/" + bad,          // in the workspace's place
				"workspaces/" + bad + "/x/y", // a workspace that would climb out
				bad,
			} {
				label := name
				if len(label) > 40 {
					label = label[:40]
				}
				t.Run(string(m.Name())+"/"+label, func(t *testing.T) {
					// A deadline per call: thousands of them run one after another.
					refused(t, c.invoke(testContext(t), t, m, contracttest.Request(t, m, name)))
				})
			}
		}
	}
	if n := e.upstream() - before; n != 0 {
		t.Fatalf("%d requests reached Mode", n)
	}
}

// postRaw sends body to a procedure with a content type and returns the Connect error code
// (from the JSON error body) or "" for success.
func postRaw(t *testing.T, e *env, procedure, contentType string, body []byte) string {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, e.url+procedure, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	var out struct{ Code string }
	_ = json.Unmarshal(b, &out)
	if out.Code == "" {
		return "http " + resp.Status
	}
	return out.Code
}

func TestHostileBodies(t *testing.T) {
	e := newEnv(t, envConfig{})
	const getReport = "/modeplatform.v1.ReportService/GetReport"
	const runReport = "/modeplatform.v1.ReportService/RunReport"
	report := e.reportName(e.demo.Reports[0])

	// A string field holding invalid UTF-8, as raw protobuf (generated clients refuse to
	// marshal it).
	invalidUTF8 := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "workspaces/parch_and_posey/reports/\xff\xfe")
	// Unknown fields nested 50,000 groups deep.
	var nested []byte
	for range 50_000 {
		nested = protowire.AppendTag(nested, 99, protowire.StartGroupType)
	}
	for range 50_000 {
		nested = protowire.AppendTag(nested, 99, protowire.EndGroupType)
	}
	deepJSON := `{"name":"` + report + `","parameters":{"p":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}}`
	params := map[string]string{}
	for i := range 101 {
		params["p"+strings.Repeat("x", i)] = "v"
	}
	tooMany, _ := json.Marshal(map[string]any{"name": report, "parameters": params})

	tests := []struct {
		name, procedure, contentType string
		body                         []byte
		want                         []string
	}{
		{"10MBString", getReport, "application/json", []byte(`{"name":"` + strings.Repeat("a", 10<<20) + `"}`), []string{"resource_exhausted"}},
		{"10MBProto", getReport, "application/proto", protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), strings.Repeat("a", 10<<20)), []string{"resource_exhausted"}},
		{"InvalidUTF8", getReport, "application/proto", invalidUTF8, []string{"invalid_argument"}},
		{"NULInJSON", getReport, "application/json", []byte(`{"name":"` + report + `\u0000"}`), []string{"invalid_argument"}},
		{"DeeplyNestedGroups", getReport, "application/proto", nested, []string{"invalid_argument"}},
		{"DeeplyNestedParameterJSON", runReport, "application/json", []byte(deepJSON), []string{"invalid_argument"}},
		{"ObjectParameterValue", runReport, "application/json", []byte(`{"name":"` + report + `","parameters":{"p":{"a":{"b":{"c":"d"}}}}}`), []string{"invalid_argument"}},
		{"ParameterValueTooLong", runReport, "application/json", []byte(`{"name":"` + report + `","parameters":{"p":"` + strings.Repeat("x", 16385) + `"}}`), []string{"invalid_argument"}},
		{"ParameterNameClimbs", runReport, "application/json", []byte(`{"name":"` + report + `","parameters":{"../p":"v"}}`), []string{"invalid_argument"}},
		{"TooManyParameters", runReport, "application/json", tooMany, []string{"invalid_argument"}},
		{"RequestIDInjection", runReport, "application/json", []byte(`{"name":"` + report + `","request_id":"a\r\nX-Evil: 1"}`), []string{"invalid_argument"}},
		{"NotJSON", getReport, "application/json", []byte(`{"name":`), []string{"invalid_argument"}},
	}
	before := e.upstream()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := postRaw(t, e, tt.procedure, tt.contentType, tt.body)
			for _, w := range tt.want {
				if got == w {
					return
				}
			}
			t.Fatalf("code %q, want one of %v", got, tt.want)
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Fatalf("%d requests reached Mode", n)
	}
}

func TestHostilePaging(t *testing.T) {
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	c := e.clients(protocols[0])
	// A genuine token, of a ListReports on the first space.
	first, err := c.rs.ListReports(ctx, connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: 1}))
	if err != nil {
		t.Fatal(err)
	}
	tok := first.Msg.GetNextPageToken()
	if tok == "" {
		t.Fatal("no next page token")
	}
	flipped := []byte(tok)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name string
		req  *modeplatformv1.ListReportsRequest
	}{
		{"TokenOfAnotherParent", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[1]), PageSize: 1, PageToken: tok}},
		{"TokenOfAnotherFilter", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: 1, PageToken: tok, ArchivedFilter: modeplatformv1.ListReportsRequest_ARCHIVED_FILTER_ALL}},
		{"TamperedToken", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: 1, PageToken: string(flipped)}},
		{"TruncatedToken", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: 1, PageToken: tok[:len(tok)/2]}},
		{"GarbageToken", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageToken: "../../etc/passwd"}},
		{"HugeToken", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageToken: strings.Repeat("A", 500_000)}},
		{"HugePageSize", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: 1 << 30}},
		{"NegativePageSize", &modeplatformv1.ListReportsRequest{Parent: e.spaceName(e.demo.Spaces[0]), PageSize: -1}},
	}
	before := e.upstream()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.rs.ListReports(ctx, connect.NewRequest(tt.req))
			refused(t, err)
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Fatalf("%d requests reached Mode", n)
	}
}
