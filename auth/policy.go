// Package auth authenticates and authorizes the callers of the
// modeplatform.v1 services.
//
// A caller presents a bearer key (`Authorization: Bearer …`) or, over TLS,
// a client certificate. The policy file (YAML) lists the callers: each has
// a name, the SHA-256 hashes of its keys (never the keys), optionally the
// identities of its client certificates, the workspaces it may use and its
// scopes: read, write and run. The interceptor (NewInterceptor) checks every
// call before its handler runs — so before any cache lookup or request to
// Mode: no or a wrong key is Unauthenticated; a workspace or scope outside
// the policy is PermissionDenied, the same answer whether or not the
// resource exists. Store reloads the file on SIGHUP or when it changes, so
// keys rotate without a restart.
//
// A policy file:
//
//	callers:
//	  - name: reporting-service          # shown in logs and traces
//	    keys:                            # SHA-256 of each key, hex (two during a rotation)
//	      - sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
//	    workspaces: [parch_and_posey]    # "*" for every workspace
//	    scopes: [read, run]
//	  - name: billing-batch
//	    client_certs: ["spiffe://corp.example/billing-batch"]  # URI or DNS SAN, or the subject CN
//	    workspaces: ["*"]
//	    scopes: [read]
package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/modeplatform/modeplatform/modeclient"
)

// Scope is what a caller may do in a workspace.
type Scope string

// The scopes. Every RPC needs exactly one, declared in the contract
// ((modeplatform.v1.method).scope; ScopeOf reads it).
const (
	// ScopeRead covers every Get, List, Watch, Stream and Export.
	ScopeRead Scope = "read"
	// ScopeWrite covers creating, changing, archiving and deleting spaces,
	// reports and queries.
	ScopeWrite Scope = "write"
	// ScopeRun covers starting report runs (RunReport, CloneReportRun): they
	// spend the warehouse's time.
	ScopeRun Scope = "run"
	// ScopeAdmin covers managing people and access in a workspace (members,
	// groups, permissions) and reading its audit log. No method needs it yet;
	// a policy may grant it ahead of them.
	ScopeAdmin Scope = "admin"
)

// AllWorkspaces in a caller's workspaces allows every workspace.
const AllWorkspaces = "*"

// maxPolicyBytes bounds a policy file.
const maxPolicyBytes = 1 << 20

// Caller is one caller of the policy.
type Caller struct {
	// Name identifies the caller in logs, traces and de-duplication scopes.
	Name string
	// Workspaces the caller may use; AllWorkspaces allows all.
	Workspaces []string
	// Scopes the caller holds in those workspaces.
	Scopes []Scope

	keys  [][sha256.Size]byte
	certs []string
}

// Allows reports whether the caller holds scope in workspace.
func (c *Caller) Allows(workspace string, scope Scope) bool {
	if !slices.Contains(c.Scopes, scope) {
		return false
	}
	return slices.Contains(c.Workspaces, AllWorkspaces) || slices.Contains(c.Workspaces, workspace)
}

// Policy is a parsed policy file. It is immutable.
type Policy struct {
	callers []*Caller
}

// Callers returns the policy's callers, in file order.
func (p *Policy) Callers() []*Caller { return slices.Clone(p.callers) }

// ByKey returns the caller holding key, or nil. The key's SHA-256 is compared
// with every hash of the policy in constant time, without stopping at a
// match: how long it takes says nothing about which hash, if any, matched.
func (p *Policy) ByKey(key string) *Caller {
	if p == nil || key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	var found *Caller
	for _, c := range p.callers {
		for i := range c.keys {
			if subtle.ConstantTimeCompare(sum[:], c.keys[i][:]) == 1 {
				found = c
			}
		}
	}
	return found
}

// ByCertificate returns the caller one of whose client_certs is among ids
// (the identities of a verified client certificate), or nil.
func (p *Policy) ByCertificate(ids []string) *Caller {
	if p == nil {
		return nil
	}
	for _, c := range p.callers {
		for _, want := range c.certs {
			if slices.Contains(ids, want) {
				return c
			}
		}
	}
	return nil
}

// policyFile is the YAML form of a policy.
type policyFile struct {
	Callers []struct {
		Name        string   `yaml:"name"`
		Keys        []string `yaml:"keys"`
		ClientCerts []string `yaml:"client_certs"`
		Workspaces  []string `yaml:"workspaces"`
		Scopes      []string `yaml:"scopes"`
	} `yaml:"callers"`
}

// LoadPolicy reads and parses the policy file at path.
func LoadPolicy(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPolicyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy parses a policy file's content. It refuses unknown fields,
// callers without a name, a key or certificate, a workspace or a scope,
// malformed hashes, unknown scopes, invalid workspace names and a name,
// key or certificate identity given twice. Its errors never quote a key
// hash.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > maxPolicyBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxPolicyBytes)
	}
	var pf policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty: a policy lists its callers under callers:")
		}
		return nil, fmt.Errorf("not a policy: %s", yamlMessage(err))
	}
	if len(pf.Callers) == 0 {
		return nil, errors.New("no callers: a policy lists its callers under callers:")
	}
	p := &Policy{}
	names := map[string]bool{}
	keys := map[[sha256.Size]byte]bool{}
	certs := map[string]bool{}
	var errs []error
	for i, fc := range pf.Callers {
		where := fmt.Sprintf("callers[%d]", i)
		if fc.Name != "" {
			where += " (" + fc.Name + ")"
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf(where+": "+format, args...))
		}
		c := &Caller{Name: fc.Name}
		switch {
		case fc.Name == "":
			bad("name is required")
		case !validCallerName(fc.Name):
			bad("name must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-', '@' and ':'")
		case names[fc.Name]:
			bad("name is used by another caller")
		}
		names[fc.Name] = true
		for j, k := range fc.Keys {
			h, ok := parseKeyHash(k)
			switch {
			case !ok:
				bad("keys[%d] is not a SHA-256 hash (64 hex digits, optionally prefixed sha256:)", j)
			case keys[h]:
				bad("keys[%d] is listed twice in the policy", j)
			default:
				keys[h] = true
				c.keys = append(c.keys, h)
			}
		}
		for j, id := range fc.ClientCerts {
			switch {
			case strings.TrimSpace(id) == "" || len(id) > 1024:
				bad("client_certs[%d] is empty or too long", j)
			case certs[id]:
				bad("client_certs[%d] %q is listed twice in the policy", j, id)
			default:
				certs[id] = true
				c.certs = append(c.certs, id)
			}
		}
		if len(fc.Keys) == 0 && len(fc.ClientCerts) == 0 {
			bad("needs keys or client_certs")
		}
		if len(fc.Workspaces) == 0 {
			bad(`workspaces is required ("*" for all)`)
		}
		for j, w := range fc.Workspaces {
			if w != AllWorkspaces && !modeclient.ValidWorkspace(w) {
				bad("workspaces[%d] %q is not a Mode workspace name", j, w)
				continue
			}
			c.Workspaces = append(c.Workspaces, w)
		}
		if len(fc.Scopes) == 0 {
			bad("scopes is required: read, write, run and/or admin")
		}
		for j, s := range fc.Scopes {
			switch sc := Scope(s); sc {
			case ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin:
				if !slices.Contains(c.Scopes, sc) {
					c.Scopes = append(c.Scopes, sc)
				}
			default:
				bad("scopes[%d] %q is not one of read, write, run, admin", j, s)
			}
		}
		p.callers = append(p.callers, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// yamlMessage is a YAML error without the document's text: the decoder's
// messages quote values, which could be a key pasted by mistake.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			// "line 3: field foo not found in type …" or "line 3: cannot unmarshal !!map into string"
			line, rest, ok := strings.Cut(e, ": ")
			switch {
			case ok && strings.HasPrefix(rest, "field "):
				f, _, _ := strings.Cut(strings.TrimPrefix(rest, "field "), " ")
				msgs = append(msgs, line+": unknown field "+f)
			case ok:
				msgs = append(msgs, line+": a value has the wrong type")
			default:
				msgs = append(msgs, "a value has the wrong type")
			}
		}
		return strings.Join(msgs, "; ")
	}
	msg := err.Error()
	if line, _, ok := strings.Cut(strings.TrimPrefix(msg, "yaml: "), ":"); ok && strings.HasPrefix(line, "line ") {
		return line + ": invalid YAML"
	}
	return "invalid YAML"
}

// parseKeyHash reads "sha256:<hex>" or "<hex>".
func parseKeyHash(s string) ([sha256.Size]byte, bool) {
	var h [sha256.Size]byte
	s = strings.TrimPrefix(strings.TrimSpace(s), "sha256:")
	if len(s) != 2*sha256.Size {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(strings.ToLower(s))); err != nil {
		return h, false
	}
	return h, true
}

// HashKey returns the policy file form of a key's hash: "sha256:" and the
// SHA-256 of the key in lowercase hex (what `printf %s "$KEY" | sha256sum`
// prints).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// validCallerName reports whether s is a printable, log-safe caller name.
func validCallerName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-@:", c) >= 0) {
			return false
		}
	}
	return true
}
