package modeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testToken) || strings.Contains(s, testSecret) {
		t.Errorf("%s reveals the credential", what) // never print s itself
	}
}

func TestCredentialNeverPrinted(t *testing.T) {
	c, err := New("https://app.mode.com", testCred)
	if err != nil {
		t.Fatal(err)
	}
	type wrapper struct {
		Cred   Credential
		Ptr    *Credential
		Client *Client
	}
	w := wrapper{testCred, &testCred, c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		assertNoSecret(t, "fmt "+verb+" credential", fmt.Sprintf(verb, testCred))
		assertNoSecret(t, "fmt "+verb+" client", fmt.Sprintf(verb, c))
		assertNoSecret(t, "fmt "+verb+" wrapper", fmt.Sprintf(verb, w))
	}
	j, _ := json.Marshal(w)
	assertNoSecret(t, "json", string(j))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("x", "cred", testCred, "client", c, "w", w)
	}
	assertNoSecret(t, "slog", buf.String())
	if !strings.Contains(buf.String(), testCred.Fingerprint()) {
		t.Errorf("slog output lacks the fingerprint")
	}
}

func TestFingerprint(t *testing.T) {
	a := Credential{Token: "ab", Secret: "c"}
	b := Credential{Token: "a", Secret: "bc"}
	if a.Fingerprint() != a.Fingerprint() {
		t.Error("fingerprint not stable")
	}
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("fingerprints collide on shifted boundary")
	}
	if fp := testCred.Fingerprint(); len(fp) != 32 {
		t.Errorf("fingerprint length %d", len(fp))
	} else {
		assertNoSecret(t, "fingerprint", fp)
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	f := newFixture(t, WithMaxAttempts(1))
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"id":"unauthorized","message":"bad credentials"}`)
	})
	_, err := f.client.GetReport(context.Background(), "acme", "r1")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		assertNoSecret(t, "error "+verb, fmt.Sprintf(verb, err))
	}
	for _, bad := range []string{"https://tok:sec@app.mode.com", "ftp://x", "://", "https://app.mode.com?x=1"} {
		_, err := New(bad, testCred)
		if err == nil || strings.Contains(err.Error(), "sec@") {
			t.Errorf("New(%q) err = %v", "<redacted>", err)
		}
	}
	if _, err := New("https://app.mode.com", Credential{Token: "x"}); err == nil {
		t.Error("incomplete credential accepted")
	}
}
