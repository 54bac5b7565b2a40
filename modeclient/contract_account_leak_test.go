package modeclient_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// TestCredentialNeverLeaksFromAccount drives GetAccount and VerifyCredential through successes,
// retried failures, a malformed answer and a credential Mode refuses, prints everything the
// client hands out every way a caller might, and looks for the API token and secret (and the
// Basic credential they make) in it, in the client's spans and observers, and in every body its
// cache stored.
func TestCredentialNeverLeaksFromAccount(t *testing.T) {
	t.Parallel()
	const token, secret = "tok3nSHOULDNOTLEAK", "s3cretSHOULDNOTLEAK"
	emu := modetest.NewServer(t, append(emulatorDefaults(), modetest.WithCredentials(token, secret))...)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ch := newTestCache(t, cache.Options{})
	shared := &recordingShared{}
	ch.SetShared(shared)

	var mu sync.Mutex
	var written strings.Builder
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&written, format+"\n", args...)
	}
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	newClient := func(cred modeclient.Credential, opts ...modeclient.Option) *modeclient.Client {
		base := []modeclient.Option{
			modeclient.WithHTTPClient(&http.Client{Transport: routeRecorder{next: emu.Client().Transport}}),
			modeclient.WithTracerProvider(tp), modeclient.WithBackoff(time.Millisecond, 2*time.Millisecond),
			modeclient.WithRetryObserver(func(_ context.Context, ev modeclient.RetryEvent) { note("retry %+v %v", ev, ev.Err) }),
		}
		c, err := modeclient.New(emu.URL, cred, append(base, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		note("client %v %+v", c, c)
		return c
	}
	c := newClient(modeclient.Credential{Token: token, Secret: secret}, modeclient.WithCache(ch))
	ctx := modeclient.WithCallObserver(t.Context(), func(ci modeclient.CallInfo) { note("call %+v", ci) })
	printed := func(what string, v any, err error) {
		t.Helper()
		js, _ := json.Marshal(v)
		note("%s: %v | %+v | %#v | %s | err %v | %+v | %#v", what, v, v, v, js, err, err, err)
		logger.Info(what, "value", v, "err", err)
	}

	// Successes, and the cached read.
	a, err := c.GetAccount(ctx)
	if err != nil || a.Username == "" {
		t.Fatalf("GetAccount: %+v, %v", a, err)
	}
	printed("account", *a, err)
	a, err = c.GetAccount(ctx)
	printed("cached account", a, err)
	ok, err := c.VerifyCredential(ctx)
	if !ok || err != nil {
		t.Fatalf("VerifyCredential = %v, %v", ok, err)
	}
	printed("verified", ok, err)

	// Failures: a 503 retried, a 500 for good, a malformed answer, a dropped connection.
	for _, f := range []modetest.Fault{
		{Method: http.MethodGet, Path: "/api/account", Status: http.StatusServiceUnavailable, Times: 1},
		{Method: http.MethodGet, Path: "/api/account", Status: http.StatusInternalServerError},
		{Method: http.MethodGet, Path: "/api/account", Malformed: true},
		{Method: http.MethodGet, Path: "/api/verify", Drop: true},
		{Method: http.MethodGet, Path: "/api/verify", Status: http.StatusTooManyRequests},
	} {
		remove := emu.AddFault(f)
		fresh := newClient(modeclient.Credential{Token: token, Secret: secret}, modeclient.WithMaxAttempts(2))
		a, err := fresh.GetAccount(ctx)
		printed(fmt.Sprintf("account with fault %+v", f), a, err)
		ok, err := fresh.VerifyCredential(ctx)
		printed(fmt.Sprintf("verify with fault %+v", f), ok, err)
		remove()
	}

	// A credential Mode refuses (the right token, a wrong secret that is also a secret).
	wrong := newClient(modeclient.Credential{Token: token, Secret: secret + "WRONG"})
	a, err = wrong.GetAccount(ctx)
	if err == nil {
		t.Fatal("GetAccount with a wrong secret: no error")
	}
	printed("refused account", a, err)
	ok, err = wrong.VerifyCredential(ctx)
	if ok || err != nil {
		t.Fatalf("VerifyCredential with a wrong secret = %v, %v", ok, err)
	}
	printed("refused verify", ok, err)

	var out strings.Builder
	out.WriteString(written.String())
	out.WriteString(logs.String())
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
	basic := base64.StdEncoding.EncodeToString([]byte(token + ":" + secret))
	for _, s := range []string{token, secret, "SHOULDNOTLEAK", basic} {
		if i := strings.Index(out.String(), s); i >= 0 {
			t.Errorf("the credential appears in what the client wrote: …%s…", out.String()[max(0, i-200):min(out.Len(), i+50)])
		}
	}
}
