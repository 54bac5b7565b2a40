package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// TestDefaultLimitsServeOneCallersCacheHits: with the settings the server ships with, one
// caller (one peer address, no policy) reading the same report from the cache over 32 HTTP/1.1
// connections, Connect JSON — what `wrk -c32` does — is never refused: the per-caller ceiling is
// far above what cache hits cost, and they cost Mode nothing. Counts answers, asserts no timing.
func TestDefaultLimitsServeOneCallersCacheHits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, nil, hooks{})
	report := firstReport(t, ts.base, http.Header{})

	const conns, perConn = 32, 100 // 3,200 calls: 64 times the former default's burst of 100
	url := ts.base + "/modeplatform.v1.ReportService/GetReport"
	body := fmt.Sprintf(`{"name":%q}`, report)
	if code, b, _ := post(t, url, body, nil); code != http.StatusOK { // fills the cache
		t.Fatalf("GetReport: %d %s", code, b)
	}
	var (
		mu    sync.Mutex
		codes = map[string]int{}
		wg    sync.WaitGroup
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxConnsPerHost: 1} // one HTTP/1.1 connection, like one of wrk's
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			for range perConn {
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				code := postCode(ctx, hc, url, body)
				cancel()
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes["200"] != conns*perConn {
		t.Errorf("answers by status/code: %v; want all %d 200 (resource_exhausted: the caller ceiling refused cache hits)", codes, conns*perConn)
	}
}

// postCode posts a Connect JSON request and returns "200", or the Connect error code of another
// answer ("resource_exhausted" …), or the transport error.
func postCode(ctx context.Context, hc *http.Client, url, body string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "transport: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return "200"
	}
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &e)
	return fmt.Sprintf("%d %s", resp.StatusCode, e.Code)
}

// firstReport lists the demo workspace's reports through the server and returns the first's
// name.
func firstReport(t *testing.T, base string, header http.Header) string {
	t.Helper()
	rs := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, base)
	req := connect.NewRequest(&modeplatformv1.ListReportsRequest{Parent: "workspaces/" + demoWS})
	for k, v := range header {
		req.Header()[k] = v
	}
	resp, err := rs.ListReports(t.Context(), req)
	if err != nil || len(resp.Msg.GetReports()) == 0 {
		t.Fatalf("ListReports: %v", err)
	}
	return resp.Msg.GetReports()[0].GetName()
}

// TestUpstreamSpendIsChargedToTheCaller: a request that reaches Mode is counted for the
// policy's caller it was made for, through the server's whole interceptor chain and the
// cache's detached fetch; cache hits cost nothing.
func TestUpstreamSpendIsChargedToTheCaller(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	env := e.env()
	delete(env, "CALLER_RATE_LIMIT") // the defaults
	adminAddr := make(chan net.Addr, 1)
	ts := startServer(t, nil, env, hooks{adminReady: func(a net.Addr) { adminAddr <- a }})
	admin := "http://" + (<-adminAddr).String()

	report := firstReport(t, ts.base, bearer(testKeys["reader"]))
	before := e.upstreamRequests()
	rs := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, ts.base)
	for range 3 { // a miss, then hits
		req := connect.NewRequest(&modeplatformv1.GetReportRequest{Name: report})
		req.Header().Set("Authorization", "Bearer "+testKeys["reader"])
		if _, err := rs.GetReport(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	sent := e.upstreamRequests()
	if sent-before != 1 {
		t.Fatalf("%d requests reached Mode for one miss and two hits", sent-before)
	}

	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	re := regexp.MustCompile(`(?m)^modeplatform_upstream_caller_requests_total\{([^}]*)\} (\d+)`)
	byCaller := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(metrics), -1) {
		if c := regexp.MustCompile(`modeplatform_caller="([^"]*)"`).FindStringSubmatch(m[1]); c != nil {
			byCaller[c[1]] = m[2]
		}
	}
	// Every request that reached Mode was the reader's (the list and the report).
	if want := fmt.Sprint(sent); byCaller["reader"] != want || len(byCaller) != 1 {
		t.Errorf("upstream requests by caller %v, want reader: %s only", byCaller, want)
	}
}
