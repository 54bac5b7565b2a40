package auth

import (
	"strings"
	"testing"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Keys of the test policies, and their hashes.
const (
	readerKey = "mp_reader_4f1c8a0d2b7e49a3b6c5"
	writerKey = "mp_writer_0a9e7d31c2b84f56a1d0"
)

func testPolicyYAML() string {
	return `
callers:
  - name: reader
    keys: [` + HashKey(readerKey) + `]
    workspaces: [parch_and_posey]
    scopes: [read]
  - name: writer
    keys: ["` + strings.TrimPrefix(HashKey(writerKey), "sha256:") + `"]
    client_certs: ["spiffe://corp.example/writer"]
    workspaces: ["*"]
    scopes: [read, write, run]
`
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte(testPolicyYAML()))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	tests := []struct {
		name      string
		caller    *Caller
		wantName  string
		workspace string
		scope     Scope
		allowed   bool
	}{
		{"reader reads its workspace", p.ByKey(readerKey), "reader", "parch_and_posey", ScopeRead, true},
		{"reader may not write", p.ByKey(readerKey), "reader", "parch_and_posey", ScopeWrite, false},
		{"reader may not run", p.ByKey(readerKey), "reader", "parch_and_posey", ScopeRun, false},
		{"reader may not read elsewhere", p.ByKey(readerKey), "reader", "other", ScopeRead, false},
		{"writer runs anywhere", p.ByKey(writerKey), "writer", "other", ScopeRun, true},
		{"writer by certificate", p.ByCertificate([]string{"x", "spiffe://corp.example/writer"}), "writer", "w", ScopeWrite, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.caller == nil || tt.caller.Name != tt.wantName {
				t.Fatalf("caller = %+v, want %s", tt.caller, tt.wantName)
			}
			if got := tt.caller.Allows(tt.workspace, tt.scope); got != tt.allowed {
				t.Errorf("Allows(%s, %s) = %v, want %v", tt.workspace, tt.scope, got, tt.allowed)
			}
		})
	}
	for _, key := range []string{"", "wrong", readerKey + " ", strings.ToUpper(readerKey), HashKey(readerKey)} {
		if c := p.ByKey(key); c != nil {
			t.Errorf("ByKey(%q) = %s, want nobody", key, c.Name)
		}
	}
	if c := p.ByCertificate([]string{"spiffe://corp.example/other"}); c != nil {
		t.Errorf("unknown certificate matched %s", c.Name)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	hash := HashKey("k")
	tests := []struct {
		name, yaml, want string
	}{
		{"Empty", "", "empty"},
		{"NoCallers", "callers: []", "no callers"},
		{"NotYAML", "callers: [", "invalid YAML"},
		{"UnknownField", "callers:\n  - name: a\n    key: x\n", "unknown field key"},
		{"WrongType", "callers:\n  - name: [a]\n", "wrong type"},
		{"NoName", "callers:\n  - keys: [" + hash + "]\n    workspaces: [w]\n    scopes: [read]\n", "name is required"},
		{"BadName", "callers:\n  - name: \"a b\"\n    keys: [" + hash + "]\n    workspaces: [w]\n    scopes: [read]\n", "name must be"},
		{"DuplicateName", "callers:\n  - {name: a, keys: [" + hash + "], workspaces: [w], scopes: [read]}\n  - {name: a, keys: [" + HashKey("j") + "], workspaces: [w], scopes: [read]}\n", "used by another"},
		{"NoCredentials", "callers:\n  - {name: a, workspaces: [w], scopes: [read]}\n", "needs keys or client_certs"},
		{"ShortHash", "callers:\n  - {name: a, keys: [abc], workspaces: [w], scopes: [read]}\n", "not a SHA-256"},
		{"ClearKey", "callers:\n  - {name: a, keys: [mp_live_key_that_is_not_hashed_0123456789abcdef0123456789abcdef], workspaces: [w], scopes: [read]}\n", "not a SHA-256"},
		{"SharedKey", "callers:\n  - {name: a, keys: [" + hash + "], workspaces: [w], scopes: [read]}\n  - {name: b, keys: [" + hash + "], workspaces: [w], scopes: [read]}\n", "listed twice"},
		{"NoWorkspaces", "callers:\n  - {name: a, keys: [" + hash + "], scopes: [read]}\n", "workspaces is required"},
		{"BadWorkspace", "callers:\n  - {name: a, keys: [" + hash + "], workspaces: [../x], scopes: [read]}\n", "not a Mode workspace"},
		{"NoScopes", "callers:\n  - {name: a, keys: [" + hash + "], workspaces: [w]}\n", "scopes is required"},
		{"BadScope", "callers:\n  - {name: a, keys: [" + hash + "], workspaces: [w], scopes: [owner]}\n", "not one of read, write, run, admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy = %v, want an error with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(hash, "sha256:")) || strings.Contains(err.Error(), "mp_live_key") {
				t.Errorf("error quotes a key or hash: %v", err)
			}
		})
	}
}

func TestHashKey(t *testing.T) {
	// printf %s password | sha256sum
	if got := HashKey("password"); got != "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8" {
		t.Errorf("HashKey = %s", got)
	}
}

// FuzzParsePolicy checks the policy parser on any input: it never panics,
// and a policy it accepts is complete (every caller named, with a
// credential, workspaces and known scopes). `go test ./auth -run '^$' -fuzz
// FuzzParsePolicy` fuzzes longer.
func FuzzParsePolicy(f *testing.F) {
	f.Add(testPolicyYAML())
	f.Add("callers: []")
	f.Add("callers:\n  - {name: a, keys: [" + HashKey("k") + "], workspaces: ['*'], scopes: [read]}\n")
	f.Add("callers:\n  - &a {name: a, keys: [" + HashKey("k") + "], workspaces: [w], scopes: [read]}\n  - *a\n")
	f.Add("{{{{")
	f.Add("callers: !!binary aGVsbG8=")
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		if len(p.callers) == 0 {
			t.Fatal("accepted a policy without callers")
		}
		for _, c := range p.callers {
			if !validCallerName(c.Name) || len(c.keys)+len(c.certs) == 0 || len(c.Workspaces) == 0 || len(c.Scopes) == 0 {
				t.Fatalf("accepted an incomplete caller %+v", c)
			}
			for _, s := range c.Scopes {
				if s != ScopeRead && s != ScopeWrite && s != ScopeRun {
					t.Fatalf("accepted scope %q", s)
				}
			}
			for _, w := range c.Workspaces {
				if w != AllWorkspaces && !modeclient.ValidWorkspace(w) {
					t.Fatalf("accepted workspace %q", w)
				}
			}
		}
	})
}
