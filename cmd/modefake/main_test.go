package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/syncbuf"
)

func TestRunServesTheDemoWorkspace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	var stdout, stderr syncbuf.Buffer
	env := map[string]string{"MODEFAKE_TOKEN": "envtoken", "MODEFAKE_SECRET": "s"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--token", "t", "--rate-limit", "0", "--run-duration", "2ms"},
			func(k string) string { return env[k] }, &stdout, &stderr, func(a net.Addr) { addrc <- a })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	}

	get := func(path, token, secret string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.SetBasicAuth(token, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	// The flag wins over MODEFAKE_TOKEN; the secret comes from MODEFAKE_SECRET.
	resp, raw := get("/api/parch_and_posey", "t", "s")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/hal+json" {
		t.Fatalf("GET workspace: %d %s", resp.StatusCode, raw)
	}
	var acct map[string]any
	if err := json.Unmarshal(raw, &acct); err != nil || acct["username"] != "parch_and_posey" {
		t.Fatalf("account = %s", raw)
	}
	if resp, _ := get("/api/parch_and_posey", "envtoken", "s"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("env token used although --token was given: %d", resp.StatusCode)
	}

	// A report run through the binary returns real rows as CSV.
	_, raw = get("/api/parch_and_posey/data_sources", "t", "s")
	var dsList struct {
		Embedded struct {
			DataSources []struct{ Token string } `json:"data_sources"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(raw, &dsList); err != nil || len(dsList.Embedded.DataSources) != 1 {
		t.Fatalf("data sources: %s", raw)
	}
	_, raw = get("/api/parch_and_posey/data_sources/"+dsList.Embedded.DataSources[0].Token+"/reports?order=asc&order_by=created_at", "t", "s")
	var reports struct {
		Embedded struct {
			Reports []struct{ Token, Name string } `json:"reports"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports.Embedded.Reports) == 0 {
		t.Fatalf("reports: %s", raw)
	}
	rep := reports.Embedded.Reports[0].Token
	req, _ := http.NewRequest("POST", base+"/api/parch_and_posey/reports/"+rep+"/runs", strings.NewReader(`{"parameters":{}}`))
	req.SetBasicAuth("t", "s")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var run struct{ Token, State string }
	json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || run.Token == "" {
		t.Fatalf("run: %d %+v", resp.StatusCode, run)
	}
	for i := 0; run.State != "succeeded"; i++ {
		if i > 2000 || run.State == "failed" {
			t.Fatalf("run state %q", run.State)
		}
		time.Sleep(2 * time.Millisecond)
		_, raw = get("/api/parch_and_posey/reports/"+rep+"/runs/"+run.Token, "t", "s")
		json.Unmarshal(raw, &run)
	}
	_, raw = get("/api/parch_and_posey/reports/"+rep+"/runs/"+run.Token+"/query_runs", "t", "s")
	var qrs struct {
		Embedded struct {
			QueryRuns []struct{ Token string } `json:"query_runs"`
		} `json:"_embedded"`
	}
	json.Unmarshal(raw, &qrs)
	if len(qrs.Embedded.QueryRuns) == 0 {
		t.Fatalf("query runs: %s", raw)
	}
	_, raw = get("/api/parch_and_posey/reports/"+rep+"/runs/"+run.Token+"/query_runs/"+qrs.Embedded.QueryRuns[0].Token+"/results/content.csv", "t", "s")
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %v %q", err, raw)
	}

	out := stdout.String()
	if !strings.Contains(out, "token:  t") || !strings.Contains(out, base) {
		t.Errorf("stdout = %q", out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if logs := stderr.String(); !strings.Contains(logs, "modefake stopped") || strings.Contains(logs, "secret: s") {
		t.Errorf("logs = %q", logs)
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		listen  string
		token   string
		wantErr bool
	}{
		{"defaults", nil, nil, "127.0.0.1:8081", "", false},
		{"env", nil, map[string]string{"MODEFAKE_LISTEN": ":9000", "MODEFAKE_TOKEN": "et"}, ":9000", "et", false},
		{"flags win", []string{"--listen", ":9001", "--token", "ft"}, map[string]string{"MODEFAKE_LISTEN": ":9000", "MODEFAKE_TOKEN": "et"}, ":9001", "ft", false},
		{"bad flag", []string{"--nope"}, nil, "", "", true},
		{"stray argument", []string{"extra"}, nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if o.listen != tt.listen || (tt.token != "" && o.token != tt.token) || o.token == "" || o.secret == "" {
				t.Errorf("options = listen %q token %q (secret set: %v)", o.listen, o.token, o.secret != "")
			}
		})
	}
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		per     time.Duration
		wantErr bool
	}{
		{"40/10s", 40, 10 * time.Second, false},
		{"5", 5, 10 * time.Second, false},
		{"0", 0, 10 * time.Second, false},
		{"3/1m", 3, time.Minute, false},
		{"x", 0, 0, true},
		{"3/zz", 0, 0, true},
	}
	for _, tt := range tests {
		n, per, err := parseRateLimit(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && (n != tt.n || per != tt.per)) {
			t.Errorf("parseRateLimit(%q) = %d, %v, %v", tt.in, n, per, err)
		}
	}
}

func TestRunCrossWorkspaceTokens(t *testing.T) {
	for _, cross := range []bool{false, true} {
		t.Run(fmt.Sprintf("cross=%v", cross), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addrc := make(chan net.Addr, 1)
			args := []string{"--listen", "127.0.0.1:0", "--token", "t", "--secret", "s", "--rate-limit", "0"}
			if cross {
				args = append(args, "--cross-workspace-tokens")
			}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, args, func(string) string { return "" }, io.Discard, io.Discard, func(a net.Addr) { addrc <- a })
			}()
			var base string
			select {
			case a := <-addrc:
				base = "http://" + a.String()
			case err := <-done:
				t.Fatalf("run ended early: %v", err)
			}
			get := func(path string) (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest("GET", base+path, nil)
				req.SetBasicAuth("t", "s")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var o map[string]any
				json.NewDecoder(resp.Body).Decode(&o)
				return resp.StatusCode, o
			}
			// The second workspace's report, found through its own paths.
			_, spaces := get("/api/northwind_traders/spaces")
			space := spaces["_embedded"].(map[string]any)["spaces"].([]any)[0].(map[string]any)["token"].(string)
			_, reports := get("/api/northwind_traders/spaces/" + space + "/reports")
			report := reports["_embedded"].(map[string]any)["reports"].([]any)[0].(map[string]any)["token"].(string)

			status, o := get("/api/parch_and_posey/reports/" + report)
			switch {
			case !cross && status != http.StatusNotFound:
				t.Errorf("another workspace's report: %d, want 404", status)
			case cross && (status != http.StatusOK || o["account_username"] != "northwind_traders"):
				t.Errorf("another workspace's report with --cross-workspace-tokens: %d %v, want it with its true workspace", status, o["account_username"])
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
		})
	}
}
