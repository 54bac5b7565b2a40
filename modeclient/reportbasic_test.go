package modeclient_test

import (
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
)

// TestBasicWebURLs: the web app paths of a listed report and space, and none for ids that are
// not valid.
func TestBasicWebURLs(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"report", (&modeclient.BatchReport{Token: "849c9a32d24b"}).WebURL("parch_and_posey"), "/parch_and_posey/reports/849c9a32d24b"},
		{"space", (&modeclient.BatchSpace{Token: "bf3cea2d1fe4"}).WebURL("parch_and_posey"), "/parch_and_posey/spaces/bf3cea2d1fe4"},
		{"bad token", (&modeclient.BatchReport{Token: "../x"}).WebURL("parch_and_posey"), ""},
		{"bad workspace", (&modeclient.BatchSpace{Token: "bf3cea2d1fe4"}).WebURL("a/b"), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
