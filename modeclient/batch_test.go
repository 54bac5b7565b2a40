package modeclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signatureAnswer is a create answer as Mode's documentation shows it.
const signatureAnswer = `{"token": "5b89bf4b0a49", "name": "modeplatform-x", "creator_id": 3, "organization_id": 4,
	"access_key": "8b6fdc0a36bf340604a3cedc", "access_secret": "829146cb6c752f51bbbb8c85",
	"created_at": "2020-07-02T21:01:17.181Z", "updated_at": "2020-07-02T21:01:17.181Z",
	"expires_at": "2099-10-02T21:00:00.000Z", "authentication_for": "batch-api", "authorization_type": "read-only"}`

// TestBatchRequests: what the client sends for the Metadata API (a signature token request,
// then reads signed with it, never with Basic auth) and how it reads Mode's documented answers
// (nulls, ids as numbers or strings), stopping at total_pages even when next_page leads further.
func TestBatchRequests(t *testing.T) {
	f := newFixture(t)
	var creates, reads counter
	f.mux.HandleFunc("POST /batch/acme/signature_tokens", func(w http.ResponseWriter, r *http.Request) {
		creates.inc()
		var body struct {
			SignatureToken struct {
				Name      string `json:"name"`
				ExpiresAt string `json:"expires_at"`
				AuthScope struct {
					AuthenticationFor string `json:"authentication_for"`
					AuthorizationType string `json:"authorization_type"`
				} `json:"auth_scope"`
			} `json:"signature_token"`
		}
		if u, p, ok := r.BasicAuth(); !ok || u != testToken || p != testSecret {
			t.Error("the token request is not made with the client's credential")
		}
		if err := decodeInto(r, &body); err != nil {
			t.Fatal(err)
		}
		st := body.SignatureToken
		exp, err := time.Parse(time.RFC3339, st.ExpiresAt)
		if !strings.HasPrefix(st.Name, batchTokenNamePrefix) || len(st.Name) < 4 || len(st.Name) > 64 || err != nil ||
			exp.Sub(time.Now()) < 59*time.Minute || exp.Sub(time.Now()) > 61*time.Minute ||
			st.AuthScope.AuthenticationFor != "batch-api" || st.AuthScope.AuthorizationType != "read-only" {
			t.Errorf("token request %+v", st)
		}
		writeJSON(w, http.StatusOK, signatureAnswer)
	})
	wantAuth := "Bearer " + base64.StdEncoding.EncodeToString([]byte("5b89bf4b0a49:8b6fdc0a36bf340604a3cedc:829146cb6c752f51bbbb8c85"))
	f.mux.HandleFunc("GET /batch/acme/reports", func(w http.ResponseWriter, r *http.Request) {
		reads.inc()
		if got := r.Header.Get("Authorization"); got != wantAuth {
			t.Errorf("Authorization = %q, want the signature token's", got)
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if r.URL.Query().Get("per_page") != "2" || r.URL.Query().Get("include_spaces") != "all" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		item := func(tok string) string {
			return `{"id": "5244", "token": "` + tok + `", "name": null, "description": null, "created_at": "2020-05-04T20:17:55.387Z",
				"edited_at": null, "updated_at": "2020-05-04T20:17:55.387Z", "last_successfully_run_at": null, "last_run_token": "3ffcbb7b2c63",
				"last_run_state": "failed", "creator_email": "creator@company.com", "space_id": 41, "space_token": "acd5fc167d0g",
				"report_url": "/api/acme/reports/` + tok + `"}`
		}
		items := item("a"+strconv.Itoa(page)) + "," + item("b"+strconv.Itoa(page))
		// Not clamped, as a Mode could: page 2's next_page leads to a page 3 that does not exist.
		writeJSON(w, http.StatusOK, `{"pagination": {"page": `+strconv.Itoa(page)+`, "per_page": 2, "count": 2, "total_pages": 2, "total_count": 4},
			"reports": [`+items+`], "_links": {"next_page": {"href": "/batch/acme/reports?page=`+strconv.Itoa(page+1)+`&per_page=2"},
			"prev_page": {"href": "/batch/acme/reports?page=`+strconv.Itoa(max(page-1, 1))+`&per_page=2"}}}`)
	})
	var got []BatchReport
	for r, err := range f.client.ListBatchReports(t.Context(), "acme", &BatchOptions{PerPage: 2, IncludeSpaces: IncludeSpacesAll}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 4 || reads.get() != 2 || creates.get() != 1 {
		t.Fatalf("%d reports in %d reads and %d token requests, want 4 in 2 and 1", len(got), reads.get(), creates.get())
	}
	if r := got[0]; r.ID != 5244 || r.Token != "a1" || r.Name != "" || !r.EditedAt.IsZero() || r.SpaceID != 41 || r.LastRunState != "failed" ||
		r.CreatorEmail != "creator@company.com" || r.ReportURL != "/api/acme/reports/a1" || r.CreatedAt.Year() != 2020 {
		t.Errorf("first report = %+v", r)
	}
}

// decodeInto decodes a request's JSON body.
func decodeInto(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// TestBatchWrongWorkspace: a Metadata API page whose items name another workspace in their API
// path is not the workspace's: not found.
func TestBatchWrongWorkspace(t *testing.T) {
	f := newFixture(t)
	f.mux.HandleFunc("POST /batch/acme/signature_tokens", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, signatureAnswer)
	})
	f.mux.HandleFunc("GET /batch/acme/spaces", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"pagination": {"page": 1, "per_page": 1000, "count": 1, "total_pages": 1, "total_count": 1},
			"spaces": [{"id": 1, "token": "abc", "name": "Other", "space_url": "/api/other/spaces/abc"}], "_links": {}}`)
	})
	_, err := f.client.ListBatchSpacesPage(t.Context(), "acme", 1, nil)
	var ww *WrongWorkspaceError
	if !errorsAs(err, &ww) {
		t.Errorf("err = %v, want *WrongWorkspaceError", err)
	}
}

// TestAdminRequests: the bodies and queries of the data source administration and purge calls.
func TestAdminRequests(t *testing.T) {
	f := newFixture(t)
	ds := `{"id": 1, "token": "ds1", "name": "Warehouse", "account_username": "acme", "_links": {"self": {"href": "/api/acme/data_sources/ds1"}}}`
	f.mux.HandleFunc("GET /api/acme/data_sources/ds1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, ds) })
	f.mux.HandleFunc("PATCH /api/acme/data_sources/ds1", func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, expect{method: http.MethodPatch, path: "/api/acme/data_sources/ds1",
			body: `{"data_source": {"name": "Warehouse", "password": "pw", "custom_attributes": {"connection_string": "cs"}}}`})
		writeJSON(w, http.StatusOK, ds)
	})
	f.mux.HandleFunc("POST /api/acme/data_sources/ds1/purge", func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, expect{method: http.MethodPost, path: "/api/acme/data_sources/ds1/purge"})
		w.WriteHeader(http.StatusAccepted)
	})
	f.mux.HandleFunc("POST /api/acme/data_sources/ds1/schema_updates", func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, expect{method: http.MethodPost, path: "/api/acme/data_sources/ds1/schema_updates"})
		writeJSON(w, http.StatusOK, `{"id": "7", "token": "su1", "state": "enqueued", "content_length": "0", "number_of_schemas": "0",
			"number_of_tables": "0", "_links": {"self": {"href": "/api/acme/data_sources/ds1/schema_updates/su1"}}}`)
	})
	var purges []string
	f.mux.HandleFunc("POST /api/acme/reports/purge", func(w http.ResponseWriter, r *http.Request) {
		purges = append(purges, r.URL.RawQuery)
		w.WriteHeader(http.StatusAccepted)
	})
	ctx := context.Background()
	pw, cs := "pw", "cs"
	if _, err := f.client.UpdateDataSource(ctx, "acme", "ds1", DataSourceUpdate{Name: strPtr("Warehouse"), Password: &pw, ConnectionString: &cs}); err != nil {
		t.Fatal(err)
	}
	if err := f.client.PurgeDataSourceResults(ctx, "acme", "ds1"); err != nil {
		t.Fatal(err)
	}
	if u, err := f.client.UpdateDataSourceSchema(ctx, "acme", "ds1"); err != nil || u.ID != 7 || u.State != "enqueued" {
		t.Fatalf("UpdateDataSourceSchema = %+v, %v", u, err)
	}
	day := time.Date(2024, 3, 2, 23, 30, 0, 0, time.FixedZone("", -5*3600)) // 2024-03-03 in UTC
	for _, o := range []PurgeOptions{{Before: day}, {Before: day, Through: day.AddDate(0, 0, 3), SkipInProgress: true}} {
		if err := f.client.PurgeReportResultsWithOptions(ctx, "acme", o); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"time=2024-03-03", "end_time=2024-03-06&in_progress=false&time=2024-03-03"}; strings.Join(purges, " ") != strings.Join(want, " ") {
		t.Errorf("purge queries %v, want %v", purges, want)
	}
}

func strPtr(s string) *string { return &s }
