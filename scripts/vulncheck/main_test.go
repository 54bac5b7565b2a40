package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	const config = `{"config":{"scanner_version":"v1.9.0","db":"file:///db","go_version":"go1.26.8"}}`
	const osv = `{"osv":{"id":"GO-1","summary":"a bug"}}{"osv":{"id":"GO-2","summary":"another"}}`
	stdCalled := `{"finding":{"osv":"GO-1","fixed_version":"v1.26.10","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"Get"}]}}`
	modCalled := `{"finding":{"osv":"GO-2","fixed_version":"v0.62.0","trace":[{"module":"golang.org/x/net","version":"v0.61.0","package":"golang.org/x/net/http2","function":"Read"}]}}`
	modImported := `{"finding":{"osv":"GO-2","fixed_version":"v0.62.0","trace":[{"module":"golang.org/x/net","version":"v0.61.0","package":"golang.org/x/net/http2"}]}}`
	tests := []struct {
		name   string
		in     string
		strict bool
		code   int
		want   string
	}{
		{"Clean", config, false, 0, "no reachable vulnerability"},
		{"ModuleImportedOnly", config + osv + modImported, false, 0, "1 more imported but not called"},
		{"ModuleCalled", config + osv + modImported + modCalled, false, 1, "GO-2 golang.org/x/net@v0.61.0: fixed in v0.62.0"},
		{"StdlibWarns", config + osv + stdCalled, false, 0, "needs Go 1.26.10"},
		{"StdlibStrict", config + osv + stdCalled, true, 1, "FAIL (strict)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := judge(strings.NewReader(tt.in), &out, tt.strict)
			if err != nil || code != tt.code || !strings.Contains(out.String(), tt.want) {
				t.Fatalf("judge = %d, %v; want %d with %q in:\n%s", code, err, tt.code, tt.want, out.String())
			}
		})
	}
	if _, err := judge(strings.NewReader("not json"), &bytes.Buffer{}, false); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := judge(strings.NewReader(""), &bytes.Buffer{}, false); err == nil {
		t.Error("empty stream accepted")
	}
}
