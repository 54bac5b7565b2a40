package modetest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUpdateDataSource: PATCH changes the name and description that later reads show, takes a
// password that no answer ever shows, and refuses what Mode's document does not allow.
func TestUpdateDataSource(t *testing.T) {
	s := newTestServer(t)
	d := s.Demo()
	path := wsPath("data_sources", d.DataSource)
	const password = "s3cret-Passw0rd!"

	resp, body := call(t, s, http.MethodPatch, path, object{"data_source": object{
		"name": "Warehouse", "description": "The paper company's warehouse.", "password": password,
		"custom_attributes": object{"connection_string": "tcps://host:1522/db?password=" + password},
	}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), password) {
		t.Fatalf("the answer to the update shows the password: %s", body)
	}
	if !s.DataSourcePasswordIs(DemoWorkspace, d.DataSource, password) || s.DataSourcePasswordIs(DemoWorkspace, d.DataSource, "other") {
		t.Error("DataSourcePasswordIs does not recognise the password sent")
	}
	got := mustJSON(t, s, http.MethodGet, path, nil, http.StatusOK)
	if got["name"] != "Warehouse" || got["display_name"] != "Warehouse" || got["description"] != "The paper company's warehouse." || got["updated_at"] == got["created_at"] {
		t.Errorf("after the update: %v", got)
	}
	for _, p := range []string{path, wsPath("data_sources"), wsPath(), wsPath("data_sources", d.DataSource, "reports")} {
		if _, b := call(t, s, http.MethodGet, p, nil); strings.Contains(string(b), password) {
			t.Errorf("GET %s shows the password", p)
		}
	}
	// A name alone leaves the rest.
	mustJSON(t, s, http.MethodPatch, path, object{"data_source": object{"name": "Warehouse 2"}}, http.StatusOK)
	if got := mustJSON(t, s, http.MethodGet, path, nil, http.StatusOK); got["name"] != "Warehouse 2" || got["description"] != "The paper company's warehouse." ||
		!s.DataSourcePasswordIs(DemoWorkspace, d.DataSource, password) {
		t.Errorf("after a name-only update: %v", got)
	}

	for name, tt := range map[string]struct {
		path   string
		body   any
		status int
	}{
		"no data_source":     {path, object{"name": "x"}, http.StatusBadRequest},
		"blank name":         {path, object{"data_source": object{"name": "  "}}, http.StatusBadRequest},
		"empty password":     {path, object{"data_source": object{"password": ""}}, http.StatusBadRequest},
		"a file as JSON":     {path, object{"data_source": object{"certificate": "-----BEGIN CERTIFICATE-----"}}, http.StatusBadRequest},
		"not JSON":           {path, "{", http.StatusBadRequest},
		"password not text":  {path, object{"data_source": object{"password": 12345}}, http.StatusBadRequest},
		"unknown":            {wsPath("data_sources", "000000000000"), object{"data_source": object{"name": "x"}}, http.StatusNotFound},
		"another workspace":  {wsPath("data_sources", d.Second.DataSource), object{"data_source": object{"name": "x"}}, http.StatusNotFound},
		"unknown workspace":  {api("no_such_workspace", "data_sources", d.DataSource), object{"data_source": object{"name": "x"}}, http.StatusNotFound},
		"wrong password set": {path, object{"data_source": object{"password": "hunter2-but-wrong"}}, http.StatusOK},
	} {
		resp, b := call(t, s, http.MethodPatch, tt.path, tt.body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", name, resp.StatusCode, tt.status, b)
		}
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "12345") {
			t.Errorf("%s: the answer quotes the password: %s", name, b)
		}
	}
}

// TestSchemaUpdate: a schema update is queued, then succeeds with the database's counts; its
// self link leads to it; asking again while one is queued answers that one.
func TestSchemaUpdate(t *testing.T) {
	s := newTestServer(t, WithRunDuration(time.Hour)) // stays queued while the test looks
	d := s.Demo()
	path := wsPath("data_sources", d.DataSource, "schema_updates")
	u := mustJSON(t, s, http.MethodPost, path, nil, http.StatusOK)
	if u["state"] != stateEnqueued || u["token"] == "" || u["id"] == nil || u["last_succesful_refresh_at"] != nil || u["webapp_uri"] == "" {
		t.Errorf("a new schema update = %v", u)
	}
	if again := mustJSON(t, s, http.MethodPost, path, nil, http.StatusOK); again["token"] != u["token"] {
		t.Errorf("a second schema update while one is queued: %v, want the queued one", again["token"])
	}
	self := linkHref(u, "self")
	if got := mustJSON(t, s, http.MethodGet, self, nil, http.StatusOK); got["token"] != u["token"] {
		t.Errorf("GET its self link = %v", got)
	}
	mustJSON(t, s, http.MethodPost, wsPath("data_sources", "000000000000", "schema_updates"), nil, http.StatusNotFound)
	mustJSON(t, s, http.MethodGet, wsPath("data_sources", d.DataSource, "schema_updates", "000000000000"), nil, http.StatusNotFound)

	quick := newTestServer(t) // runs of 2ms: the update is done at once
	u = mustJSON(t, quick, http.MethodPost, wsPath("data_sources", d.DataSource, "schema_updates"), nil, http.StatusOK)
	var done object
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if done = mustJSON(t, quick, http.MethodGet, linkHref(u, "self"), nil, http.StatusOK); done["state"] == stateSucceeded {
			break
		}
	}
	if done["state"] != stateSucceeded || done["number_of_schemas"] != float64(1) || done["number_of_tables"].(float64) < 5 ||
		done["content_length"].(float64) <= 0 || done["last_succesful_refresh_at"] == nil {
		t.Errorf("the finished schema update = %v", done)
	}
	if next := mustJSON(t, quick, http.MethodPost, wsPath("data_sources", d.DataSource, "schema_updates"), nil, http.StatusOK); next["token"] == u["token"] {
		t.Error("a schema update after the last one finished answered the finished one")
	}
}
