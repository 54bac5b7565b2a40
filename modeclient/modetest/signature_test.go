package modetest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// signatureBody is a valid create body for a signature token named name, expiring at expires.
func signatureBody(name string, expires time.Time) object {
	return object{"signature_token": object{
		"name": name, "expires_at": expires.UTC().Format("2006-01-02T15:04:05-0700"),
		"auth_scope": object{"authentication_for": "batch-api", "authorization_type": "read-only"},
	}}
}

// createSignature makes a signature token of ws with the server's credential and returns its
// answer and the Authorization header value that signs with it.
func createSignature(t *testing.T, s *Server, ws string) (object, string) {
	t.Helper()
	tok := mustJSON(t, s, http.MethodPost, "/batch/"+ws+"/signature_tokens", signatureBody("test-token", time.Now().Add(time.Hour)), http.StatusOK)
	return tok, bearerOf(tok)
}

// bearerOf is the Authorization header value of a signature token answer.
func bearerOf(tok object) string {
	raw := tok["token"].(string) + ":" + tok["access_key"].(string) + ":" + tok["access_secret"].(string)
	return "Bearer " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// callSigned sends a request with this Authorization header value ("" for none).
func callSigned(t *testing.T, s *Server, authorization, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// signedJSON reads a Metadata API path signed with authorization, failing unless it answers want.
func signedJSON(t *testing.T, s *Server, authorization, path string, want int) object {
	t.Helper()
	resp, body := callSigned(t, s, authorization, http.MethodGet, path)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, body)
	}
	var o object
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return o
}

// TestSignatureTokenLife: a signature token is created with Basic auth and answered with its
// secret, signs Metadata API reads of its workspace only, and stops working once deleted or
// expired; its secret is in no other answer.
func TestSignatureTokenLife(t *testing.T) {
	s := newTestServer(t)
	tok, bearer := createSignature(t, s, DemoWorkspace)
	for _, f := range []string{"token", "name", "access_key", "access_secret", "created_at", "expires_at", "updated_at"} {
		if v, _ := tok[f].(string); v == "" {
			t.Errorf("signature token: %s = %v", f, tok[f])
		}
	}
	if tok["authentication_for"] != "batch-api" || tok["authorization_type"] != "read-only" || tok["name"] != "test-token" ||
		tok["organization_id"] != float64(1) || tok["creator_id"] == nil {
		t.Errorf("signature token = %v", tok)
	}
	secret := tok["access_secret"].(string)
	path := "/batch/" + DemoWorkspace + "/reports"
	signedJSON(t, s, bearer, path, http.StatusOK)

	for _, tt := range []struct {
		name, authorization, path string
		want                      int
	}{
		{"no credential", "", path, http.StatusUnauthorized},
		{"basic auth", "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Token+":"+s.Secret)), path, http.StatusUnauthorized},
		{"wrong secret", "Bearer " + base64.StdEncoding.EncodeToString([]byte(tok["token"].(string)+":"+tok["access_key"].(string)+":nope")), path, http.StatusUnauthorized},
		{"not base64", "Bearer !!!", path, http.StatusUnauthorized},
		{"another workspace", bearer, "/batch/" + SecondWorkspace + "/reports", http.StatusUnauthorized},
		{"no such workspace", bearer, "/batch/no_such_workspace/reports", http.StatusNotFound},
	} {
		resp, body := callSigned(t, s, tt.authorization, http.MethodGet, tt.path)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.want, body)
		}
		if strings.Contains(string(body), secret) {
			t.Errorf("%s: the answer shows the access secret", tt.name)
		}
	}

	// Expiry, in real time: a token that expires in a moment works until then.
	short := signatureBody("short-lived", time.Now())
	expires := time.Now().Add(300 * time.Millisecond)
	short["signature_token"].(object)["expires_at"] = expires.Format(time.RFC3339Nano)
	soon := mustJSON(t, s, http.MethodPost, "/batch/"+DemoWorkspace+"/signature_tokens", short, http.StatusOK)
	if resp, body := callSigned(t, s, bearerOf(soon), http.MethodGet, path); resp.StatusCode != http.StatusOK && time.Now().Before(expires) {
		t.Errorf("a token that has not expired: status %d: %s", resp.StatusCode, body)
	}
	time.Sleep(time.Until(expires))
	signedJSON(t, s, bearerOf(soon), path, http.StatusUnauthorized)

	// Deletion: the answer is a message; reads signed with the token are refused; a second
	// deletion is 404.
	resp, body := call(t, s, http.MethodDelete, "/batch/"+DemoWorkspace+"/signature_tokens/"+tok["token"].(string), nil)
	var msg object
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &msg) != nil || msg["message"] == "" {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), secret) || strings.Contains(string(body), tok["access_key"].(string)) {
		t.Errorf("the deletion's answer shows the token's access key or secret: %s", body)
	}
	signedJSON(t, s, bearer, path, http.StatusUnauthorized)
	mustJSON(t, s, http.MethodDelete, "/batch/"+DemoWorkspace+"/signature_tokens/"+tok["token"].(string), nil, http.StatusNotFound)
	mustJSON(t, s, http.MethodDelete, "/batch/"+SecondWorkspace+"/signature_tokens/"+soon["token"].(string), nil, http.StatusNotFound)
}

// TestSignatureTokenCreateRefused: the create body is checked as Mode documents it.
func TestSignatureTokenCreateRefused(t *testing.T) {
	s := newTestServer(t)
	path := "/batch/" + DemoWorkspace + "/signature_tokens"
	later := time.Now().Add(time.Hour)
	scope := func(k, v string) object {
		b := signatureBody("good-name", later)
		b["signature_token"].(object)["auth_scope"].(object)[k] = v
		return b
	}
	without := func(field string) object {
		b := signatureBody("good-name", later)
		delete(b["signature_token"].(object), field)
		return b
	}
	for name, body := range map[string]any{
		"no body":              nil,
		"not JSON":             "{",
		"short name":           signatureBody("abc", later),
		"long name":            signatureBody(strings.Repeat("n", 65), later),
		"no name":              without("name"),
		"no expiry":            without("expires_at"),
		"bad expiry":           object{"signature_token": object{"name": "good-name", "expires_at": "tomorrow", "auth_scope": object{"authentication_for": "batch-api", "authorization_type": "read-only"}}},
		"past expiry":          signatureBody("good-name", time.Now().Add(-time.Hour)),
		"no scope":             without("auth_scope"),
		"other authentication": scope("authentication_for", "api"),
		"other authorization":  scope("authorization_type", "read-write"),
		"unknown scope key":    scope("extra", "x"),
	} {
		if resp, b := call(t, s, http.MethodPost, path, body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, resp.StatusCode, b)
		}
	}
	if resp, _ := call(t, s, http.MethodPost, "/batch/no_such_workspace/signature_tokens", signatureBody("good-name", later)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown workspace: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := callAs(t, s, "", "", http.MethodPost, path, signatureBody("good-name", later)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credential: status %d, want 401", resp.StatusCode)
	}
	// Mode's documented example form of expires_at and an RFC 3339 one are both taken.
	for _, exp := range []string{later.UTC().Format("2006-01-02T15:04:05-0700"), later.Format(time.RFC3339), later.UTC().Format("2006-01-02T15:04Z07:00")} {
		b := signatureBody("good-name", later)
		b["signature_token"].(object)["expires_at"] = exp
		if resp, body := call(t, s, http.MethodPost, path, b); resp.StatusCode != http.StatusOK {
			t.Errorf("expires_at %q: status %d: %s", exp, resp.StatusCode, body)
		}
	}
}

// TestSignedReadsAreRateLimited: reads signed with a signature token count against the rate
// limit of the API token that made it.
func TestSignedReadsAreRateLimited(t *testing.T) {
	s := NewServer(t, WithRateLimit(3, time.Hour))
	_, bearer := createSignature(t, s, DemoWorkspace) // 1
	path := "/batch/" + DemoWorkspace + "/spaces"
	signedJSON(t, s, bearer, path, http.StatusOK) // 2
	signedJSON(t, s, bearer, path, http.StatusOK) // 3
	if resp, body := callSigned(t, s, bearer, http.MethodGet, path); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429: %s", resp.StatusCode, body)
	}
	if resp, _ := call(t, s, http.MethodGet, wsPath(), nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a Basic-auth request after the signed ones: status %d, want 429 (one limit per user)", resp.StatusCode)
	}
}
