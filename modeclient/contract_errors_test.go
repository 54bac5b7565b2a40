package modeclient_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// TestContractNotFoundAndUnauthorized covers Mode's own 404 for unknown tokens and 401 for
// wrong credentials, on both targets.
func TestContractNotFoundAndUnauthorized(t *testing.T) {
	t.Parallel()
	forEachTarget(t, readOnly, nil, func(t *testing.T, tg *target) {
		ctx, c, fx := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1)), tg.fixtures(t)
		const unknown = "0000deadbeef"

		t.Run("unknown tokens are 404", func(t *testing.T) {
			type call struct {
				name  string
				route string
				call  func() error
			}
			calls := []call{
				{"GetReport", "/api/{workspace}/reports/{report}", func() error { _, err := c.GetReport(ctx, tg.ws, unknown); return err }},
				{"GetSpace", "/api/{workspace}/spaces/{space}", func() error { _, err := c.GetSpace(ctx, tg.ws, unknown); return err }},
				{"GetDataSource", "/api/{workspace}/data_sources/{data_source}", func() error { _, err := c.GetDataSource(ctx, tg.ws, unknown); return err }},
			}
			if fx.Report != "" {
				calls = append(calls, call{"GetReportRun", "/api/{workspace}/reports/{report}/runs/{run}", func() error {
					_, err := c.GetReportRun(ctx, tg.ws, fx.Report, unknown)
					return err
				}})
			}
			for _, tc := range calls {
				ae := wantAPIError(t, tc.call(), http.StatusNotFound)
				if ae.ID != "not_found" || ae.Message == "" || ae.Route != tc.route || ae.Method != http.MethodGet {
					t.Errorf("%s: %+v", tc.name, ae)
				}
				if strings.Contains(ae.Error(), unknown) {
					t.Errorf("%s: the error quotes the requested token: %v", tc.name, ae)
				}
			}
			if tg.emu != nil {
				_, err := c.GetReport(ctx, tg.ws, unknown)
				if ae := wantAPIError(t, err, http.StatusNotFound); ae.Message != "Report not found" {
					t.Errorf("message = %q", ae.Message)
				}
				_, err = c.GetWorkspace(ctx, "no_such_workspace")
				wantAPIError(t, err, http.StatusNotFound)
				// A member's username names a person's account, not a workspace.
				members, err := c.ListMembershipsPage(ctx, tg.ws, 1, nil)
				if err != nil || len(members.Items) == 0 {
					t.Fatalf("ListMembershipsPage: %v, %v", members, err)
				}
				_, err = c.GetWorkspace(ctx, members.Items[0].MemberUsername)
				if ae := wantAPIError(t, err, http.StatusNotFound); ae.Route != "/api/{workspace}" {
					t.Errorf("a person's account as a workspace: %+v", ae)
				}
			}
		})

		t.Run("wrong credentials are 401", func(t *testing.T) {
			wrong := modeclient.Credential{Token: tg.cred.Token, Secret: "not-the-secret-" + strconv.Itoa(len(tg.cred.Secret))}
			bad, err := modeclient.New(tg.baseURL, wrong, modeclient.WithHTTPClient(tg.hc), modeclient.WithMaxAttempts(1))
			if err != nil {
				t.Fatal(err)
			}
			_, err = bad.ListSpacesPage(ctx, tg.ws, 1, nil)
			ae := wantAPIError(t, err, http.StatusUnauthorized)
			if ae.ID != "unauthorized" || ae.Message == "" {
				t.Errorf("401: %+v", ae)
			}
			for _, secret := range []string{tg.cred.Token, tg.cred.Secret, wrong.Secret} {
				if strings.Contains(err.Error(), secret) {
					t.Fatal("the error reveals the credential")
				}
			}
		})
	})
}

// --- emulator-only tests: errors and retries -------------------------------------

// TestContractErrorStatuses injects every error status Mode answers into a GET and a POST and
// checks the *APIError: status, Mode's error id and message, Retry-After when sent, and the
// route template instead of the URL. The emulator's own rate limit gives a real 429.
func TestContractErrorStatuses(t *testing.T) {
	t.Parallel()
	const generic5xx = "Something went wrong on our end. Please retry later."
	cases := []struct {
		status     int
		retryAfter string
		wantID     string // "" = any non-empty id (Mode documents none for this status)
		wantMsg    string
		wantWait   time.Duration
	}{
		{http.StatusBadRequest, "", "bad_request", "Bad Request", 0},
		{http.StatusUnauthorized, "", "unauthorized", "Unauthorized. Please check your API token and secret.", 0},
		{http.StatusForbidden, "", "forbidden", "Forbidden", 0},
		{http.StatusNotFound, "", "not_found", "Not Found", 0},
		{http.StatusConflict, "", "", "Conflict", 0},
		{http.StatusUnprocessableEntity, "", "unprocessable_entity", "Unprocessable Entity", 0},
		{http.StatusTooManyRequests, "7", "rate_limited", "Rate limit exceeded. Please retry later.", 7 * time.Second},
		{http.StatusTooManyRequests, "", "rate_limited", "Rate limit exceeded. Please retry later.", 0},
		{http.StatusInternalServerError, "", "internal_server_error", generic5xx, 0},
		{http.StatusBadGateway, "", "bad_gateway", generic5xx, 0},
		{http.StatusServiceUnavailable, "30", "service_unavailable", "Service temporarily unavailable. Please retry later.", 30 * time.Second},
		{http.StatusGatewayTimeout, "", "gateway_timeout", generic5xx, 0},
	}
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		report := tg.emu.Demo().Reports[0]
		calls := []struct {
			method, path, route string
			call                func() error
		}{
			{http.MethodGet, apiPath("reports", report), "/api/{workspace}/reports/{report}", func() error {
				_, err := c.GetReport(ctx, tg.ws, report)
				return err
			}},
			{http.MethodPost, apiPath("spaces"), "/api/{workspace}/spaces", func() error {
				_, err := c.CreateSpace(ctx, tg.ws, modeclient.SpaceCreate{Name: "Never created"})
				return err
			}},
		}
		// Sequential: the faults are the emulator's, shared by everything running on it.
		for _, tc := range cases {
			for _, call := range calls {
				t.Run(fmt.Sprintf("%d_RA%s_%s", tc.status, tc.retryAfter, call.method), func(t *testing.T) {
					before := requestsTo(tg.emu, call.method, call.path)
					tg.emu.AddFault(modetest.Fault{Method: call.method, Path: call.path, Times: 1, Status: tc.status, RetryAfter: tc.retryAfter})
					err := call.call()
					ae := wantAPIError(t, err, tc.status)
					if (tc.wantID != "" && ae.ID != tc.wantID) || ae.ID == "" {
						t.Errorf("id = %q, want %q", ae.ID, tc.wantID)
					}
					if ae.Message != tc.wantMsg {
						t.Errorf("message = %q, want %q", ae.Message, tc.wantMsg)
					}
					if ae.RetryAfter != tc.wantWait {
						t.Errorf("RetryAfter = %v, want %v", ae.RetryAfter, tc.wantWait)
					}
					if ae.Method != call.method || ae.Route != call.route || strings.Contains(ae.Error(), report) {
						t.Errorf("error names %s %s (%v), want the route %s", ae.Method, ae.Route, ae, call.route)
					}
					if n := requestsTo(tg.emu, call.method, call.path) - before; n != 1 {
						t.Errorf("%d requests, want 1", n)
					}
				})
			}
		}
		if spaces := collect(t, c.ListSpaces(ctx, tg.ws, &modeclient.ListSpacesOptions{Filter: "all"})); len(spaces) != 4 {
			t.Errorf("a failed CreateSpace created a space: %d spaces", len(spaces))
		}
	})

	t.Run("emulator rate limit", func(t *testing.T) {
		t.Parallel()
		tg := newEmulatorTarget(t, modetest.WithRateLimit(2, time.Minute))
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		for range 2 {
			must(c.GetWorkspace(ctx, tg.ws))(t)
		}
		_, err := c.GetWorkspace(ctx, tg.ws)
		ae := wantAPIError(t, err, http.StatusTooManyRequests)
		if ae.ID != "rate_limited" || ae.RetryAfter <= 0 || ae.RetryAfter > time.Minute || !ae.Temporary() {
			t.Errorf("rate limited: %+v", ae)
		}
	})
}

// TestContractUndecodableAndDropped covers a malformed 2xx body (*DecodeError, without body
// bytes in the message), a dropped connection and a body cut off mid-way (*TransportError),
// for objects, lists and streamed results.
func TestContractUndecodableAndDropped(t *testing.T) {
	t.Parallel()
	forEachTarget(t, injectsFaults, nil, func(t *testing.T, tg *target) {
		ctx, c := tg.ctx(t), tg.client(t, modeclient.WithMaxAttempts(1))
		var fx fixtures
		fx.Report, fx.Run, fx.QueryRun = tg.finishedRun(t)
		d := tg.emu.Demo()
		getReport := func(i int) func() error {
			return func() error { _, err := c.GetReport(ctx, tg.ws, d.Reports[i]); return err }
		}
		csvPath := apiPath("reports", fx.Report, "runs", fx.Run, "query_runs", fx.QueryRun, "results", "content.csv")
		readCSV := func() error {
			body, err := c.QueryResultsCSV(ctx, tg.ws, fx.Report, fx.Run, fx.QueryRun)
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = csv.NewReader(body).ReadAll()
			return err
		}
		cases := []struct {
			name  string
			fault modetest.Fault
			call  func() error
			want  any // pointer to the error type errors.As must find
		}{
			{"malformed object", modetest.Fault{Path: apiPath("reports", d.Reports[0]), Malformed: true}, getReport(0), new(*modeclient.DecodeError)},
			{"malformed list", modetest.Fault{Path: apiPath("groups"), Malformed: true}, func() error {
				_, err := c.ListGroupsPage(ctx, tg.ws, 1, nil)
				return err
			}, new(*modeclient.DecodeError)},
			{"dropped GET", modetest.Fault{Path: apiPath("reports", d.Reports[1]), Drop: true}, getReport(1), new(*modeclient.TransportError)},
			{"dropped POST", modetest.Fault{Path: apiPath("reports", d.Reports[2], "runs"), Drop: true}, func() error {
				_, err := c.RunReport(ctx, tg.ws, d.Reports[2], nil)
				return err
			}, new(*modeclient.TransportError)},
			{"truncated object", modetest.Fault{Path: apiPath("reports", d.Reports[3]), Truncate: true}, getReport(3), new(*modeclient.TransportError)},
			{"truncated CSV stream", modetest.Fault{Path: csvPath, Truncate: true}, readCSV, new(*modeclient.TransportError)},
			{"malformed JSON result", modetest.Fault{Path: strings.TrimSuffix(csvPath, "csv") + "json", Malformed: true}, func() error {
				rr, err := c.QueryResultRows(ctx, tg.ws, fx.Report, fx.Run, fx.QueryRun)
				if err != nil {
					return err
				}
				defer rr.Close()
				for _, err := range rr.All() {
					if err != nil {
						return err
					}
				}
				return nil
			}, new(*modeclient.DecodeError)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel() // each case faults its own path
				tg.emu.AddFault(tc.fault)
				err := tc.call()
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.As(err, tc.want) {
					t.Fatalf("error = %v (%T), want %T", err, err, tc.want)
				}
				var ae *modeclient.APIError
				if errors.As(err, &ae) {
					t.Errorf("also an APIError: %v", err)
				}
				if strings.Contains(err.Error(), "<html>") || strings.Contains(err.Error(), tg.baseURL) {
					t.Errorf("error quotes the body or the URL: %v", err)
				}
			})
		}
	})
}

// retryRecorder collects the client's RetryEvents.
type retryRecorder struct {
	mu     sync.Mutex
	events []modeclient.RetryEvent
}

// observe is the WithRetryObserver callback.
func (r *retryRecorder) observe(_ context.Context, ev modeclient.RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// get returns the events so far.
func (r *retryRecorder) get() []modeclient.RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// TestContractRetries checks the retry policy against the emulator's faults, by the request
// log: what is retried, what is not, and that deadlines and long Retry-After values stop it.
func TestContractRetries(t *testing.T) {
	t.Parallel()
	// Extra reports, so that every case faults the paths of a report of its own; hour-long runs,
	// so that the runs started by successful POSTs execute no SQL.
	opts := []modetest.Option{modetest.WithExtraReports(10), modetest.WithRunDuration(time.Hour)}
	forEachTarget(t, injectsFaults, opts, func(t *testing.T, tg *target) {
		d := tg.emu.Demo()
		type outcome struct {
			err      error
			requests int
			events   []modeclient.RetryEvent
		}
		// run injects f on the path of method, calls call with a fresh client and reports what happened.
		run := func(t *testing.T, ctx context.Context, method, path string, f modetest.Fault, opts []modeclient.Option,
			call func(ctx context.Context, c *modeclient.Client) error) outcome {
			rec := &retryRecorder{}
			// Without keep-alives: net/http itself resends an idempotent request whose reused
			// connection fails, which would hide (or double) the client's own retries.
			tr := &http.Transport{DisableKeepAlives: true}
			t.Cleanup(tr.CloseIdleConnections)
			base := []modeclient.Option{modeclient.WithHTTPClient(&http.Client{Transport: tr}), modeclient.WithRetryObserver(rec.observe)}
			c := tg.client(t, append(base, opts...)...)
			f.Method, f.Path = method, path
			tg.emu.AddFault(f)
			err := call(ctx, c)
			return outcome{err: err, requests: requestsTo(tg.emu, method, path), events: rec.get()}
		}
		get := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodGet, apiPath("reports", d.Reports[i]), func(ctx context.Context, c *modeclient.Client) error {
				_, err := c.GetReport(ctx, tg.ws, d.Reports[i])
				return err
			}
		}
		post := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodPost, apiPath("reports", d.Reports[i], "runs"), func(ctx context.Context, c *modeclient.Client) error {
				_, err := c.RunReport(ctx, tg.ws, d.Reports[i], nil)
				return err
			}
		}
		patch := func(i int) (string, string, func(context.Context, *modeclient.Client) error) {
			return http.MethodPatch, apiPath("reports", d.Reports[i]), func(ctx context.Context, c *modeclient.Client) error {
				name := "Renamed"
				_, err := c.UpdateReport(ctx, tg.ws, d.Reports[i], modeclient.ReportUpdate{Name: &name})
				return err
			}
		}
		type call func(int) (string, string, func(context.Context, *modeclient.Client) error)
		cases := []struct {
			name         string
			call         call
			fault        modetest.Fault
			opts         []modeclient.Option
			timeout      time.Duration // 0: the test's context
			wantStatus   int           // 0: success
			wantErr      any           // else: pointer to the error type errors.As must find
			wantDeadline bool          // errors.Is(err, context.DeadlineExceeded)
			wantRequests int
			check        func(t *testing.T, events []modeclient.RetryEvent)
		}{
			{name: "GET 429 Retry-After 1 then success", call: get, fault: modetest.Fault{Times: 1, Status: 429, RetryAfter: "1"},
				wantRequests: 2, check: func(t *testing.T, evs []modeclient.RetryEvent) {
					if len(evs) != 1 || evs[0].StatusCode != 429 || !evs[0].RetryAfter || evs[0].Wait < time.Second || evs[0].Attempt != 1 {
						t.Errorf("retry events = %+v, want one 429 wait of at least 1s from Retry-After", evs)
					}
				}},
			{name: "POST 429 without Retry-After is retried", call: post, fault: modetest.Fault{Times: 1, Status: 429},
				wantRequests: 2, check: func(t *testing.T, evs []modeclient.RetryEvent) {
					if len(evs) != 1 || evs[0].RetryAfter || evs[0].Method != http.MethodPost {
						t.Errorf("retry events = %+v, want one backoff wait", evs)
					}
				}},
			{name: "GET 503 twice then success", call: get, fault: modetest.Fault{Times: 2, Status: 503}, wantRequests: 3},
			{name: "GET 502 persists: attempts exhausted", call: get, fault: modetest.Fault{Status: 502}, wantStatus: 502, wantRequests: 3},
			{name: "GET 504 with WithMaxAttempts(1)", call: get, fault: modetest.Fault{Status: 504}, opts: []modeclient.Option{modeclient.WithMaxAttempts(1)},
				wantStatus: 504, wantRequests: 1},
			{name: "GET 500 is not retried", call: get, fault: modetest.Fault{Status: 500}, wantStatus: 500, wantRequests: 1},
			{name: "GET 404 is not retried", call: get, fault: modetest.Fault{Status: 404}, wantStatus: 404, wantRequests: 1},
			{name: "POST 503 is not retried", call: post, fault: modetest.Fault{Status: 503}, wantStatus: 503, wantRequests: 1},
			{name: "PATCH 502 is not retried", call: patch, fault: modetest.Fault{Status: 502}, wantStatus: 502, wantRequests: 1},
			{name: "dropped GET is retried", call: get, fault: modetest.Fault{Times: 1, Drop: true}, wantRequests: 2},
			{name: "dropped POST is not retried", call: post, fault: modetest.Fault{Drop: true}, wantErr: new(*modeclient.TransportError), wantRequests: 1},
			{name: "Retry-After beyond the deadline", call: get, fault: modetest.Fault{Status: 503, RetryAfter: "30"},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, timeout: 5 * time.Second, wantStatus: 503, wantRequests: 1},
			{name: "Retry-After beyond MaxRetryAfter", call: get, fault: modetest.Fault{Status: 429, RetryAfter: "120"},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, wantStatus: 429, wantRequests: 1},
			{name: "deadline during a hung request", call: get, fault: modetest.Fault{Hang: true},
				opts: []modeclient.Option{modeclient.WithMaxAttempts(10)}, timeout: 200 * time.Millisecond,
				wantErr: new(*modeclient.TransportError), wantDeadline: true, wantRequests: 1},
		}
		if len(cases) > len(d.Reports) {
			t.Fatalf("%d cases but %d reports to give each its own path", len(cases), len(d.Reports))
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel() // each case faults the paths of its own report
				ctx := tg.ctx(t)
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				method, path, call := tc.call(i)
				o := run(t, ctx, method, path, tc.fault, tc.opts, call)
				switch {
				case tc.wantStatus != 0:
					ae := wantAPIError(t, o.err, tc.wantStatus)
					if want := tc.fault.RetryAfter; want != "" && ae.RetryAfter != parseSeconds(want) {
						t.Errorf("RetryAfter = %v, want %ss", ae.RetryAfter, want)
					}
				case tc.wantErr != nil:
					if !errors.As(o.err, tc.wantErr) {
						t.Fatalf("error = %v (%T), want %T", o.err, o.err, tc.wantErr)
					}
				case o.err != nil:
					t.Fatalf("error = %v, want success", o.err)
				}
				if tc.wantDeadline && !errors.Is(o.err, context.DeadlineExceeded) {
					t.Errorf("error = %v, want context.DeadlineExceeded", o.err)
				}
				if o.requests != tc.wantRequests {
					t.Errorf("%d %s requests, want %d", o.requests, method, tc.wantRequests)
				}
				if len(o.events) != tc.wantRequests-1 {
					t.Errorf("%d retry events, want %d", len(o.events), tc.wantRequests-1)
				}
				if tc.check != nil {
					tc.check(t, o.events)
				}
			})
		}
	})
}

// parseSeconds reads a Retry-After delay in seconds.
func parseSeconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

// --- emulator-only tests: writes -------------------------------------------------
