package modeclient

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDatasetRefsDecode(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     DatasetRefs
	}{
		{"objects", `[{"token":"d1","name":"Accounts"},{"token":"d2"}]`, DatasetRefs{{"d1", "Accounts"}, {"d2", ""}}},
		{"tokens", `["d1","d2"]`, DatasetRefs{{Token: "d1"}, {Token: "d2"}}},
		{"a JSON string of objects", `"[{\"token\":\"d1\",\"name\":\"A\"}]"`, DatasetRefs{{"d1", "A"}}},
		{"numbers as names", `[{"token":"d1","name":7}]`, DatasetRefs{{"d1", "7"}}},
		{"empty", `[]`, DatasetRefs{}},
		{"entries without a token are skipped", `[{"name":"x"},"",{"token":"d3"}]`, DatasetRefs{{Token: "d3"}}},
		{"null", `null`, nil},
		{"empty string", `""`, nil},
		{"a bare word", `"d1"`, nil},
		{"an object", `{"token":"d1"}`, nil},
		{"a number", `3`, nil},
		{"broken JSON in a string", `"[{"`, nil},
	} {
		var got DatasetRefs
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %#v, want %#v", tt.name, got, tt.want)
		}
	}
	// In a report: an odd imported_datasets never fails the report.
	var r Report
	if err := json.Unmarshal([]byte(`{"token":"r1","imported_datasets":"weird","name":"x"}`), &r); err != nil || r.Name != "x" || r.ImportedDatasets != nil {
		t.Errorf("report = %+v, %v", r, err)
	}
}

func TestDatasetRunDecode(t *testing.T) {
	for _, tt := range []struct {
		name, in                          string
		state                             RunState
		latest, latestSuccess, failsSince bool
		finished                          bool
	}{
		{"DatasetRun (POST)", `{"token":"r1","state":"enqueued","is_latest_dataset_run":true,"is_latest_successful_dataset_run":false,
			"dataset_has_failures_since_last_success":"true"}`, RunStateEnqueued, true, false, true, false},
		{"ReportRun (GET)", `{"token":"r1","state":"succeeded","is_latest_report_run":"true","is_latest_successful_report_run":true,
			"report_has_failures_since_last_success":false}`, RunStateSucceeded, true, true, false, true},
		{"both: the dataset's win", `{"token":"r1","state":"failed","is_latest_dataset_run":false,"is_latest_report_run":true}`,
			RunStateFailed, false, false, false, true},
		{"unknown state", `{"token":"r1","state":"running_python"}`, RunStateUnknown, false, false, false, false},
		{"null state", `{"token":"r1","state":null}`, RunStateUnknown, false, false, false, false},
		{"cancelled", `{"token":"r1","state":"Canceled"}`, RunStateCancelled, false, false, false, true},
		{"completed", `{"token":"r1","state":"completed"}`, RunStateCompleted, false, false, false, true},
	} {
		var r DatasetRun
		if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if r.Token != "r1" || r.State != tt.state || r.RunState() != tt.state || bool(r.IsLatestDatasetRun) != tt.latest ||
			bool(r.IsLatestSuccessfulDatasetRun) != tt.latestSuccess || bool(r.DatasetHasFailuresSinceLastSuccess) != tt.failsSince ||
			r.Finished() != tt.finished {
			t.Errorf("%s: %+v (finished %v)", tt.name, r, r.Finished())
		}
		// The cache's notion of a finished run agrees.
		if s, ok := runState(&r); !ok || terminalState(s) != tt.finished {
			t.Errorf("%s: runState = %q, %v", tt.name, s, ok)
		}
	}
	if b, err := json.Marshal(DatasetRun{Token: "r1", State: RunStateSucceeded}); err != nil || !json.Valid(b) ||
		!reflect.DeepEqual(decodeMap(t, b)["state"], "succeeded") {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFieldDescriptionDecode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"token":"f1","name":"region","desc":"Sales region"}`, "Sales region"},
		{`{"token":"f1","name":"region","description":"Sales region"}`, "Sales region"},
		{`{"token":"f1","name":"region","desc":"mine","description":"theirs"}`, "mine"},
		{`{"token":"f1","name":"region","desc":null}`, ""},
	} {
		var f FieldDescription
		if err := json.Unmarshal([]byte(tt.in), &f); err != nil || f.Token != "f1" || f.Name != "region" || f.Description != tt.want {
			t.Errorf("%s: %+v, %v", tt.in, f, err)
		}
	}
	var fd DatasetField
	if err := json.Unmarshal([]byte(`{"name":"n","type":"integer","description":null,"extra":1}`), &fd); err != nil || fd.Name != "n" || fd.Type != "integer" || fd.Description != "" {
		t.Errorf("field = %+v, %v", fd, err)
	}
}
