package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/modeplatform/modeplatform/gen/openapi"
)

// restCallTimeout bounds each REST call of these tests (its own deadline: generous under load).
const restCallTimeout = 60 * time.Second

// openAPIDoc loads and validates the generated OpenAPI document with kin-openapi.
func openAPIDoc(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.YAML)
	if err != nil {
		t.Fatalf("load gen/openapi/openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("gen/openapi/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router of the document: %v", err)
	}
	return doc, router
}

// restAnswer is one REST call's answer.
type restAnswer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the answer's body.
func (a restAnswer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

// googleError returns the answer's "error" object, failing unless the body is in the Google JSON
// error shape with the given HTTP code and canonical status.
func (a restAnswer) googleError(t *testing.T, wantCode int, wantStatus string) map[string]any {
	t.Helper()
	if a.status != wantCode {
		t.Fatalf("HTTP %d, want %d: %s", a.status, wantCode, a.body)
	}
	e, ok := a.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", a.body)
	}
	if code, _ := e["code"].(float64); int(code) != wantCode {
		t.Errorf("error.code = %v, want %d", e["code"], wantCode)
	}
	if e["status"] != wantStatus {
		t.Errorf("error.status = %v, want %s", e["status"], wantStatus)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error.message is empty: %s", a.body)
	}
	return e
}

// restCaller calls REST routes and checks each request and answer against the OpenAPI document.
type restCaller struct {
	t      *testing.T
	base   string
	router routers.Router
	key    string // Authorization: Bearer key, if any
}

// call sends method path (with its query) and body (JSON, or none), checks the request and the
// answer against the document, and returns the answer.
func (c restCaller) call(method, path, body string) restAnswer {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), restCallTimeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	a := restAnswer{status: resp.StatusCode, header: resp.Header, body: got}

	// The document's view of the same exchange: the route must be in it, the request must be
	// one it describes, and the answer one of the responses it lists for that status.
	docReq, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	docReq.Header = req.Header.Clone()
	route, params, err := c.router.FindRoute(docReq)
	if err != nil {
		c.t.Errorf("%s %s: not a route of the OpenAPI document: %v", method, path, err)
		return a
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: docReq, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		c.t.Errorf("%s %s: the request does not match the document: %v", method, path, err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: a.status, Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body)), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s %s: HTTP %d does not match the document: %v\n%s", method, path, a.status, err, a.body)
	}
	return a
}

// TestREST calls the REST routes of a real server (the binary's serve(), the embedded emulator)
// and checks every answer against the OpenAPI document generated from the contract: a get, a
// paged list, an update with update_mask, a custom method (:run), a create and a delete, errors
// (404, 400 with its field violation, a route that does not exist, a server stream), and the
// document served at /openapi.yaml.
func TestREST(t *testing.T) {
	t.Parallel()
	_, router := openAPIDoc(t)
	ts := startServer(t, nil, nil, hooks{})
	c := restCaller{t: t, base: ts.base, router: router}
	const (
		ws     = "workspaces/parch_and_posey"
		report = ws + "/reports/849c9a32d24b"
		space  = ws + "/spaces/bf3cea2d1fe4"
	)

	t.Run("GetReport", func(t *testing.T) {
		c := c
		c.t = t
		a := c.call(http.MethodGet, "/v1/"+report, "")
		if a.status != http.StatusOK {
			t.Fatalf("HTTP %d: %s", a.status, a.body)
		}
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
		got, _ := a.json(t)["report"].(map[string]any)
		if got["name"] != report || got["displayName"] != "Revenue by Region" {
			t.Errorf("report = %v", got)
		}
		// protojson's mapping, as the Connect protocol writes it: unset fields left out.
		if _, ok := got["lastRunTime"]; ok {
			t.Errorf("an unset field is in the answer: %s", a.body)
		}
	})

	t.Run("ListReportsPaged", func(t *testing.T) {
		c := c
		c.t = t
		seen := map[string]bool{}
		token := ""
		for page := 0; ; page++ {
			q := url.Values{"pageSize": {"2"}}
			if token != "" {
				q.Set("pageToken", token)
			}
			a := c.call(http.MethodGet, "/v1/"+space+"/reports?"+q.Encode(), "")
			if a.status != http.StatusOK {
				t.Fatalf("page %d: HTTP %d: %s", page, a.status, a.body)
			}
			m := a.json(t)
			reports, _ := m["reports"].([]any)
			if len(reports) == 0 || len(reports) > 2 {
				t.Fatalf("page %d: %d reports, want 1 or 2: %s", page, len(reports), a.body)
			}
			for _, r := range reports {
				name, _ := r.(map[string]any)["name"].(string)
				if seen[name] {
					t.Errorf("page %d repeats %s", page, name)
				}
				seen[name] = true
			}
			token, _ = m["nextPageToken"].(string)
			if token == "" {
				break
			}
			if page > 10 {
				t.Fatal("the pages do not end")
			}
		}
		if len(seen) < 3 {
			t.Errorf("%d reports over all pages, want the space's 5", len(seen))
		}
	})

	t.Run("UpdateReportWithMask", func(t *testing.T) {
		c := c
		c.t = t
		const title = "Revenue by Region, over REST"
		a := c.call(http.MethodPatch, "/v1/"+ws+"/reports/0536d1aeb9b3?updateMask=displayName", `{"displayName":"`+title+`","description":"not in the mask"}`)
		if a.status != http.StatusOK {
			t.Fatalf("HTTP %d: %s", a.status, a.body)
		}
		got, _ := a.json(t)["report"].(map[string]any)
		if got["displayName"] != title {
			t.Errorf("displayName = %v, want %q", got["displayName"], title)
		}
		if got["description"] == "not in the mask" {
			t.Error("a field outside update_mask was changed")
		}
	})

	t.Run("RunReport", func(t *testing.T) {
		c := c
		c.t = t
		a := c.call(http.MethodPost, "/v1/"+ws+"/reports/dc63649ea16c:run", `{"parameters":{"region":"West"},"requestId":"rest-test-run-1"}`)
		if a.status != http.StatusOK {
			t.Fatalf("HTTP %d: %s", a.status, a.body)
		}
		run, _ := a.json(t)["run"].(map[string]any)
		name, _ := run["name"].(string)
		if !strings.HasPrefix(name, ws+"/reports/dc63649ea16c/runs/") || !strings.HasPrefix(run["state"].(string), "STATE_") {
			t.Fatalf("run = %v", run)
		}
		if params, _ := run["parameters"].(map[string]any); params["region"] != "West" {
			t.Errorf("run parameters = %v", run["parameters"])
		}
		got := c.call(http.MethodGet, "/v1/"+name, "")
		if got.status != http.StatusOK {
			t.Errorf("GET the run: HTTP %d: %s", got.status, got.body)
		}
	})

	t.Run("CreateAndDeleteSchedule", func(t *testing.T) {
		c := c
		c.t = t
		a := c.call(http.MethodPost, "/v1/"+report+"/schedules?requestId=rest-test-schedule-1",
			`{"displayName":"Mornings","cron":{"frequency":"FREQUENCY_DAILY","hour":9,"minute":30,"timeZone":"Pacific Time (US & Canada)"}}`)
		if a.status != http.StatusOK {
			t.Fatalf("create: HTTP %d: %s", a.status, a.body)
		}
		schedule, _ := a.json(t)["schedule"].(map[string]any)
		name, _ := schedule["name"].(string)
		if !strings.HasPrefix(name, report+"/schedules/") {
			t.Fatalf("schedule = %v", schedule)
		}
		if del := c.call(http.MethodDelete, "/v1/"+name, ""); del.status != http.StatusOK {
			t.Fatalf("delete: HTTP %d: %s", del.status, del.body)
		}
		c.call(http.MethodGet, "/v1/"+name, "").googleError(t, http.StatusNotFound, "NOT_FOUND")
	})

	t.Run("NotFound", func(t *testing.T) {
		c := c
		c.t = t
		e := c.call(http.MethodGet, "/v1/"+ws+"/reports/000000000000", "").googleError(t, http.StatusNotFound, "NOT_FOUND")
		details, _ := e["details"].([]any)
		found := false
		for _, d := range details {
			if d.(map[string]any)["@type"] == "type.googleapis.com/google.rpc.ResourceInfo" {
				found = true
			}
		}
		if !found {
			t.Errorf("no google.rpc.ResourceInfo among the details: %v", details)
		}
	})

	t.Run("FieldViolation", func(t *testing.T) {
		c := c
		c.t = t
		e := c.call(http.MethodPatch, "/v1/"+report+"?updateMask=archived", `{}`).googleError(t, http.StatusBadRequest, "INVALID_ARGUMENT")
		var violations []any
		for _, d := range e["details"].([]any) {
			if d := d.(map[string]any); d["@type"] == "type.googleapis.com/google.rpc.BadRequest" {
				violations, _ = d["fieldViolations"].([]any)
			}
		}
		if len(violations) != 1 || violations[0].(map[string]any)["field"] != "update_mask" {
			t.Errorf("field violations = %v, want one of update_mask", violations)
		}
	})

	t.Run("NoSuchRoute", func(t *testing.T) {
		a := restCaller{t: t, base: ts.base}.raw(http.MethodGet, "/v1/"+ws+"/nothing")
		a.googleError(t, http.StatusNotFound, "NOT_FOUND")
	})

	t.Run("ServerStream", func(t *testing.T) {
		c := c
		c.t = t
		e := c.call(http.MethodGet, "/v1/"+ws+"/reports/dc63649ea16c/runs/0123456789ab:watch", "").googleError(t, http.StatusNotImplemented, "UNIMPLEMENTED")
		if msg := e["message"].(string); !strings.Contains(msg, "Connect, gRPC or gRPC-Web") {
			t.Errorf("message = %q, want the protocols to use", msg)
		}
	})

	t.Run("OpenAPIDocument", func(t *testing.T) {
		a := restCaller{t: t, base: ts.base}.raw(http.MethodGet, "/openapi.yaml")
		if a.status != http.StatusOK || !bytes.Equal(a.body, openapi.YAML) {
			t.Fatalf("HTTP %d, %d bytes; want the %d bytes of gen/openapi/openapi.yaml", a.status, len(a.body), len(openapi.YAML))
		}
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
			t.Errorf("Content-Type = %q", ct)
		}
		etag := a.header.Get("ETag")
		ctx, cancel := context.WithTimeout(t.Context(), restCallTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+"/openapi.yaml", nil)
		req.Header.Set("If-None-Match", etag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if etag == "" || resp.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation with ETag %q: HTTP %d, want 304", etag, resp.StatusCode)
		}
	})
}

// raw sends a request without checking it against the document (for paths the document does not
// list).
func (c restCaller) raw(method, path string) restAnswer {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), restCallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return restAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}

// TestRESTAuth checks that REST passes the caller policy as the other protocols do: the same
// Authorization header, 401 UNAUTHENTICATED without a known key, 403 PERMISSION_DENIED outside
// the caller's scopes or workspaces, in the Google JSON error shape the document describes.
func TestRESTAuth(t *testing.T) {
	t.Parallel()
	_, router := openAPIDoc(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(policyYAML(testKeys)), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, []string{"--policy", policy}, nil, hooks{})
	const report = "/v1/workspaces/parch_and_posey/reports/849c9a32d24b"
	tests := []struct {
		name       string
		key        string
		method     string
		path, body string
		wantCode   int
		wantStatus string
	}{
		{"no key", "", http.MethodGet, report, "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"unknown key", "mp_nobody_00000000000000000000", http.MethodGet, report, "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"reader reads", testKeys["reader"], http.MethodGet, report, "", http.StatusOK, ""},
		{"reader may not write", testKeys["reader"], http.MethodPatch, report + "?updateMask=description", `{"description":"x"}`, http.StatusForbidden, "PERMISSION_DENIED"},
		{"reader may not run", testKeys["reader"], http.MethodPost, report + ":run", `{}`, http.StatusForbidden, "PERMISSION_DENIED"},
		{"another workspace", testKeys["outsider"], http.MethodGet, report, "", http.StatusForbidden, "PERMISSION_DENIED"},
		{"writer writes", testKeys["writer"], http.MethodPatch, report + "?updateMask=description", `{"description":"x"}`, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := restCaller{t: t, base: ts.base, router: router, key: tt.key}.call(tt.method, tt.path, tt.body)
			if tt.wantStatus == "" {
				if a.status != tt.wantCode {
					t.Errorf("HTTP %d, want %d: %s", a.status, tt.wantCode, a.body)
				}
				return
			}
			a.googleError(t, tt.wantCode, tt.wantStatus)
		})
	}
}
