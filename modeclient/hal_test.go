package modeclient

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFlexibleTypes(t *testing.T) {
	ints := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{`12`, 12, false}, {`"12"`, 12, false}, {`null`, 0, false}, {`""`, 0, false}, {`12.0`, 12, false},
		{`" 7 "`, 7, false}, {`1e3`, 1000, false}, {`12.5`, 0, true}, {`"abc"`, 0, true}, {`true`, 0, true}, {`{}`, 0, true},
	}
	for _, tt := range ints {
		var n Int
		err := json.Unmarshal([]byte(tt.in), &n)
		if (err != nil) != tt.wantErr || (!tt.wantErr && n != tt.want) {
			t.Errorf("Int %s = %d, %v", tt.in, n, err)
		}
	}
	limits := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{`100`, 100, false}, {`"5000"`, 5000, false}, {`false`, 0, false}, {`"false"`, 0, false}, {`true`, 0, false},
		{`null`, 0, false}, {`""`, 0, false}, {`-3`, 0, false}, {`"abc"`, 0, true}, {`{}`, 0, true},
	}
	for _, tt := range limits {
		var l Limit
		err := json.Unmarshal([]byte(tt.in), &l)
		if (err != nil) != tt.wantErr || (!tt.wantErr && l != tt.want) {
			t.Errorf("Limit %s = %d, %v", tt.in, l, err)
		}
	}
	bools := []struct {
		in   string
		want bool
	}{{`true`, true}, {`"true"`, true}, {`1`, true}, {`false`, false}, {`"false"`, false}, {`null`, false}, {`""`, false}}
	for _, tt := range bools {
		var b Bool
		if err := json.Unmarshal([]byte(tt.in), &b); err != nil || bool(b) != tt.want {
			t.Errorf("Bool %s = %v, %v", tt.in, b, err)
		}
	}
	times := []struct {
		in   string
		want time.Time
	}{
		{`"2024-03-02T11:30:00.123Z"`, time.Date(2024, 3, 2, 11, 30, 0, 123e6, time.UTC)},
		{`"2024-03-02T11:30:00Z"`, time.Date(2024, 3, 2, 11, 30, 0, 0, time.UTC)},
		{`"2024-03-02T12:30:00.123+01:00"`, time.Date(2024, 3, 2, 11, 30, 0, 123e6, time.UTC)},
		{`"2024-03-02T11:30:00"`, time.Date(2024, 3, 2, 11, 30, 0, 0, time.UTC)},
		{`"2024-03-02 11:30:00 UTC"`, time.Date(2024, 3, 2, 11, 30, 0, 0, time.UTC)},
		{`"2024-03-02"`, time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)},
		{`null`, time.Time{}}, {`""`, time.Time{}},
	}
	for _, tt := range times {
		var v Time
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil || !v.Equal(tt.want) {
			t.Errorf("Time %s = %v, %v", tt.in, v, err)
		}
	}
	if b, _ := json.Marshal(Time{time.Date(2024, 3, 2, 11, 30, 0, 123e6, time.UTC)}); string(b) != `"2024-03-02T11:30:00.123Z"` {
		t.Errorf("Time marshals as %s", b)
	}
	var bad Time
	if err := json.Unmarshal([]byte(`"yesterday"`), &bad); err == nil {
		t.Error("bad time accepted")
	}
	links := []struct{ in, href string }{
		{`{"web":{"href":"/x","templated":false}}`, "/x"}, {`{"web":"/y"}`, "/y"}, {`{"web":[{"href":"/z"}]}`, "/z"},
		{`{"web":null}`, ""}, {`[]`, ""}, {`null`, ""}, {`{"web":{"href":5}}`, "5"},
	}
	for _, tt := range links {
		var ls Links
		if err := json.Unmarshal([]byte(tt.in), &ls); err != nil || ls.Href("web") != tt.href {
			t.Errorf("Links %s = %v, %v", tt.in, ls, err)
		}
	}
}

// decodeTargets returns a fresh value of every type decoded from Mode.
func decodeTargets() []any {
	return []any{
		new(Workspace), new(Membership), new(Group), new(Space), new(DataSource), new(Report),
		new(ReportRun), new(QueryRun), new(Query), new(halList), new(Links), new(Parameters),
		new(Page[Report]), new(APIError),
	}
}

func FuzzDecodeHAL(f *testing.F) {
	for _, s := range []string{reportJSON, spaceJSON, runJSON, queryRunJSON, queryJSON, dataSourceJSON,
		membershipJSON, groupJSON, workspaceJSON, list("reports", reportJSON), `{"_embedded":[]}`,
		`{"_links":{"next_page":[{"href":1}]}}`, `{"parameters":"{\"a\":[1,{}]}"}`, `null`, `[]`, `"x"`,
		`{"id":"1e400","created_at":"2024-13-45T99:99:99Z","port":"-"}`, strings.Repeat("[", 1000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range decodeTargets() {
			_ = json.Unmarshal(b, v)
		}
		var env halList
		if json.Unmarshal(b, &env) == nil {
			for _, key := range []string{"reports", "spaces", "report_runs"} {
				_ = env.Embedded.items(key)
			}
			c := &Client{}
			_ = c.nextPage(env, 1)
		}
		_ = newAPIError("GET", "/api/{workspace}", 400, nil, b, time.Now())
	})
}

// decodeLinksGeneral decodes a _links object the general way, through
// encoding/json, as Links.UnmarshalJSON does when decodeLinksFast declines.
func decodeLinksGeneral(b []byte) (Links, error) {
	m := map[string]Link{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func TestLinksFastPath(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool // decodeLinksFast answers (else it declines to the general way)
	}{
		{`{}`, true},
		{` { "self" : { "href" : "/a" , "templated" : true } , "web":"/w", "gone":null } `, true},
		{`{"self":{"templated":null,"href":null}}`, true},
		{`{"self":{"href":"/a"},"self":{"href":"/b"}}`, true}, // the last one wins
		{`{"self":{}}`, true},
		{`{"self":{"href":"/a\u0041"}}`, false},      // escapes
		{`{"séance":{"href":"/a"}}`, false},          // non-ASCII
		{`{"self":{"href":5}}`, false},               // a number
		{`{"self":[{"href":"/a"}]}`, false},          // an array of links
		{`{"self":{"href":"/a","name":"x"}}`, false}, // another member
		{`{"self":{"templated":"true"}}`, false},
		{`{"self":{"href":"/a"}`, false}, // truncated
		{`{"self":{"href":"/a"}}x`, false},
		{`{"self" {"href":"/a"}}`, false},
		{`{,}`, false},
		{`{"a":"b",}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := decodeLinksFast([]byte(strings.TrimSpace(tt.in)))
			if ok != tt.wantOK {
				t.Fatalf("decodeLinksFast ok = %v, want %v (%v)", ok, tt.wantOK, got)
			}
			if !ok {
				return
			}
			want, err := decodeLinksGeneral([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("fast = %v; general = %v, %v", got, want, err)
			}
		})
	}
}

func FuzzLinksFast(f *testing.F) {
	for _, s := range []string{`{}`, `{"self":{"href":"/a","templated":true},"web":"/w","x":null}`,
		`{"self":{"href":"/a"},"self":{"href":"/b"}}`, `{"a":{"href":"\u0041"}}`, `{"a":"b",}`, `{"a":{"href":null}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeLinksFast(b)
		if !ok {
			return
		}
		want, err := decodeLinksGeneral(b)
		if err != nil {
			t.Fatalf("fast path accepted %q, which encoding/json rejects: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast %v, general %v", b, got, want)
		}
	})
}

func TestUnquote(t *testing.T) {
	// Plain strings take plainString's fast path; anything needing
	// unescaping, or not ASCII, goes through encoding/json: both must agree
	// with it.
	tests := []struct {
		in     string
		want   string
		ok     bool
		isFast bool
	}{
		{`"abc/def-123_x"`, "abc/def-123_x", true, true},
		{` "2024-03-02T11:30:00.123Z" `, "2024-03-02T11:30:00.123Z", true, true},
		{`""`, "", true, true},
		{`"a\"b"`, `a"b`, true, false},
		{`"tab\there"`, "tab\there", true, false},
		{`"\u00e9t\u00e9"`, "été", true, false},
		{`"été"`, "été", true, false},
		{"\"\xff\"", "\ufffd", true, false}, // invalid UTF-8 becomes U+FFFD, as in encoding/json
		{`12`, "", false, false},
		{`"unterminated`, "", false, false},
		{`"a"b"`, "", false, false},
	}
	for _, tt := range tests {
		got, ok := unquote([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("unquote(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if _, fast := plainString([]byte(strings.TrimSpace(tt.in))); fast != tt.isFast {
			t.Errorf("plainString(%s) fast = %v, want %v", tt.in, fast, tt.isFast)
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, `""`, `"é"`, `12`, `"a"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// unquote trims surrounding space, then decodes a string literal as
		// encoding/json does, fast path or not.
		got, ok := unquote(b)
		var want string
		err := json.Unmarshal(bytes.TrimSpace(b), &want)
		if ok != (err == nil) || got != want {
			t.Fatalf("unquote(%q) = %q, %v; encoding/json: %q, %v", b, got, ok, want, err)
		}
	})
}
