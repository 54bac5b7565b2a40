package modeclient_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestContractSignatureTokens: CreateSignatureToken answers a token whose secret signs Metadata
// API reads, is never cached (each call makes one), and checks its arguments before any request;
// DeleteSignatureToken makes the token useless, and a second deletion is not found.
func TestContractSignatureTokens(t *testing.T) {
	t.Parallel()
	forEachTarget(t, mutates, nil, func(t *testing.T, tg *target) {
		ctx := tg.ctx(t)
		c := tg.client(t, modeclient.WithCache(newTestCache(t, cache.Options{})))
		expires := time.Now().Add(2 * time.Hour).Truncate(time.Second)
		tok := must(c.CreateSignatureToken(ctx, tg.ws, "contract-suite", expires))(t)
		if tok.Token == "" || tok.AccessKey == "" || tok.AccessSecret == "" || tok.Name != "contract-suite" ||
			!tok.ExpiresAt.Equal(expires) || tok.AuthenticationFor != "batch-api" || tok.AuthorizationType != "read-only" || tok.OrganizationID == 0 {
			t.Errorf("CreateSignatureToken = %+v", *tok)
		}
		bearer := "Bearer " + base64.StdEncoding.EncodeToString([]byte(tok.Token+":"+tok.AccessKey+":"+tok.AccessSecret))
		if status := signedStatus(t, tg, bearer); status != http.StatusOK {
			t.Errorf("a read signed with the new token: %d", status)
		}
		again := must(c.CreateSignatureToken(ctx, tg.ws, "contract-suite", expires))(t)
		if again.Token == tok.Token || again.AccessSecret == tok.AccessSecret || signatureCreates(tg.emu) != 2 {
			t.Errorf("a second CreateSignatureToken answered the first (cached?): %d requests", signatureCreates(tg.emu))
		}

		if err := c.DeleteSignatureToken(ctx, tg.ws, tok.Token); err != nil {
			t.Fatalf("DeleteSignatureToken: %v", err)
		}
		if status := signedStatus(t, tg, bearer); status != http.StatusUnauthorized {
			t.Errorf("a read signed with the deleted token: %d, want 401", status)
		}
		wantAPIError(t, c.DeleteSignatureToken(ctx, tg.ws, tok.Token), http.StatusNotFound)

		tg.emu.ResetRequests()
		var ia *modeclient.InvalidArgumentError
		for name, call := range map[string]func() error{
			"short name": func() error { _, err := c.CreateSignatureToken(ctx, tg.ws, "abc", expires); return err },
			"long name": func() error {
				_, err := c.CreateSignatureToken(ctx, tg.ws, strings.Repeat("x", 65), expires)
				return err
			},
			"no expiry":     func() error { _, err := c.CreateSignatureToken(ctx, tg.ws, "good-name", time.Time{}); return err },
			"bad workspace": func() error { _, err := c.CreateSignatureToken(ctx, "a/b", "good-name", expires); return err },
			"bad token":     func() error { return c.DeleteSignatureToken(ctx, tg.ws, "..") },
		} {
			if err := call(); !errors.As(err, &ia) {
				t.Errorf("%s: err = %v, want *InvalidArgumentError", name, err)
			}
		}
		if n := tg.emu.CountRequests("", "/"); n != 0 {
			t.Errorf("refused calls sent %d requests", n)
		}
		_, err := c.CreateSignatureToken(ctx, tg.ws, "good-name", time.Now().Add(-time.Hour))
		wantAPIError(t, err, http.StatusBadRequest) // Mode's own refusal: an expiry in the past
	})
}

// signedStatus reads the demo workspace's Metadata API spaces with this Authorization header,
// outside any client, and returns the status.
func signedStatus(t *testing.T, tg *target, authorization string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, tg.baseURL+"/batch/"+tg.ws+"/spaces", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := tg.emu.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// recordingShared is a cache.Shared level that keeps every body the cache publishes to it.
type recordingShared struct {
	mu     sync.Mutex
	bodies [][]byte
}

// Fetch implements cache.Shared: it always calls fetch, and records what it answered.
func (r *recordingShared) Fetch(ctx context.Context, _ cache.Key, _ bool, fetch func(context.Context) (cache.Fetched, error)) (cache.Fetched, error) {
	f, err := fetch(ctx)
	r.mu.Lock()
	r.bodies = append(r.bodies, bytes.Clone(f.Body))
	r.mu.Unlock()
	return f, err
}

// Invalidate implements cache.Shared.
func (r *recordingShared) Invalidate([]string) {}

// TestSignatureSecretsNeverLeak drives everything that touches a signature token's secret (the
// caller's own tokens and the ones the client makes for its Metadata API reads), through
// failures and retries, and looks for the secrets everywhere the client writes: its errors,
// its retry and call observers, its spans, its cache (a shared level sees every stored body),
// and every printed form of a SignatureToken (fmt, slog, JSON). The secrets are found in the
// emulator's request log, the only place besides Mode that must hold them.
func TestSignatureSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	emu := modetest.NewServer(t, emulatorDefaults()...)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ch := newTestCache(t, cache.Options{})
	shared := &recordingShared{}
	ch.SetShared(shared)

	var mu sync.Mutex
	var written strings.Builder // everything the client handed out, printed
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&written, format+"\n", args...)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := modeclient.New(emu.URL, modeclient.Credential{Token: emu.Token, Secret: emu.Secret},
		modeclient.WithHTTPClient(&http.Client{Transport: routeRecorder{next: emu.Client().Transport}}),
		modeclient.WithCache(ch), modeclient.WithTracerProvider(tp), modeclient.WithBackoff(time.Millisecond, 2*time.Millisecond),
		modeclient.WithRetryObserver(func(_ context.Context, ev modeclient.RetryEvent) { note("retry %+v %v", ev, ev.Err) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := modeclient.WithCallObserver(t.Context(), func(ci modeclient.CallInfo) { note("call %+v", ci) })
	ws := modetest.DemoWorkspace
	failed := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		note("%s: %v | %+v | %#v", what, err, err, err)
		logger.Error(what, "err", err)
	}

	// The caller's own token, printed every way a caller might.
	tok := must(c.CreateSignatureToken(ctx, ws, "leak-check", time.Now().Add(time.Hour)))(t)
	js, _ := json.Marshal(tok)
	note("%v %+v %#v %s %q %x %v %s", *tok, *tok, *tok, *tok, *tok, *tok, tok, js)
	logger.Info("token", "tok", tok, "value", *tok, "client", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("token", "tok", *tok)
	if !strings.Contains(written.String(), tok.AccessKey) || !strings.Contains(written.String(), "REDACTED") {
		t.Errorf("a printed SignatureToken should show its access key and REDACTED: %s", written.String())
	}

	// Metadata API reads, through a 503 (retried), a token deleted behind the client's back (a
	// 401, then a new one), a truncated page (retried) and a malformed one.
	remove := emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/batch/*/reports", Status: http.StatusServiceUnavailable, Times: 1})
	must(c.ListBatchReportsPage(ctx, ws, 1, nil))(t)
	remove()
	for _, bt := range bearerTokens(emu) {
		if code, body := deleteAsAdmin(t, &target{baseURL: emu.URL, ws: ws, emu: emu, cred: modeclient.Credential{Token: emu.Token, Secret: emu.Secret}}, bt[0]); code != http.StatusOK {
			t.Fatalf("deleting the client's token: %d %s", code, body)
		}
	}
	must(c.ListBatchSpacesPage(ctx, ws, 1, nil))(t)
	remove = emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/batch/*/queries", Truncate: true, Times: 1})
	must(c.ListBatchQueriesPage(ctx, ws, 1, nil))(t)
	remove()
	remove = emu.AddFault(modetest.Fault{Method: http.MethodGet, Path: "/batch/*/report_stats", Malformed: true})
	_, err = c.ListBatchReportStatsPage(ctx, ws, 1, nil)
	remove()
	failed("malformed page", err)

	// Token creations that fail: Mode made the token and answered 500; Mode answered a body
	// that is not JSON; Mode refused.
	for _, f := range []modetest.Fault{
		{Method: http.MethodPost, Path: "/batch/*/signature_tokens", Status: http.StatusInternalServerError, Process: true, Times: 1},
		{Method: http.MethodPost, Path: "/batch/*/signature_tokens", Malformed: true, Times: 1},
		{Method: http.MethodPost, Path: "/batch/*/signature_tokens", Truncate: true, Times: 1},
	} {
		remove := emu.AddFault(f)
		_, err := c.CreateSignatureToken(ctx, ws, "leak-check", time.Now().Add(time.Hour))
		remove()
		failed(fmt.Sprintf("create with fault %+v", f), err)
	}
	fresh := must(modeclient.New(emu.URL, modeclient.Credential{Token: emu.Token, Secret: emu.Secret},
		modeclient.WithHTTPClient(&http.Client{Transport: routeRecorder{next: emu.Client().Transport}}), modeclient.WithMaxAttempts(1)))(t)
	remove = emu.AddFault(modetest.Fault{Method: http.MethodPost, Path: "/batch/*/signature_tokens", Malformed: true, Times: 1})
	_, err = fresh.ListBatchReportsPage(ctx, ws, 1, nil)
	remove()
	failed("read whose token creation answered garbage", err)
	failed("delete twice", c.DeleteSignatureToken(ctx, ws, tok.Token+"0"))
	if err := c.ReleaseBatchTokens(ctx); err != nil {
		t.Fatal(err)
	}

	// Every secret Mode handed out: the caller's token's, and those the emulator saw reads
	// signed with.
	secrets := []string{tok.AccessSecret}
	for _, bt := range bearerTokens(emu) {
		secrets = append(secrets, bt[2])
	}
	if len(secrets) < 3 {
		t.Fatalf("only %d secrets to look for: the test did not exercise the client's own tokens", len(secrets))
	}
	var out strings.Builder
	out.WriteString(written.String())
	out.Write(logs.Bytes())
	for _, sp := range spans.GetSpans() {
		fmt.Fprintf(&out, "%s %v %v %v\n", sp.Name, sp.Attributes, sp.Events, sp.Status)
	}
	if len(spans.GetSpans()) == 0 {
		t.Error("no span was recorded")
	}
	shared.mu.Lock()
	if len(shared.bodies) == 0 {
		t.Error("the cache stored nothing")
	}
	for _, b := range shared.bodies {
		out.Write(b)
	}
	shared.mu.Unlock()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("an empty secret")
		}
		if i := strings.Index(out.String(), s); i >= 0 {
			t.Errorf("an access secret appears in what the client wrote: …%s…", out.String()[max(0, i-200):min(out.Len(), i+50)])
		}
	}
}
