package modeclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// SignatureToken is a credential of Mode's Metadata API (its "Discovery API", /batch/…): Mode's
// BatchApiRepresenters::SignatureToken. Token identifies it (DeleteSignatureToken takes it);
// AccessKey and AccessSecret sign requests with it, as
// "Authorization: Bearer base64(token:access_key:access_secret)".
//
// Mode shows AccessSecret once, in the answer of CreateSignatureToken, and never again; the
// client never caches that answer and keeps no copy of the secret. Every way of printing a
// SignatureToken (String, GoString, any fmt verb, JSON, slog) shows AccessSecret as REDACTED:
// read the field itself to hand the secret on.
type SignatureToken struct {
	Token             string `json:"token"`
	Name              string `json:"name"`
	CreatorID         Int    `json:"creator_id"`
	OrganizationID    Int    `json:"organization_id"`
	AccessKey         string `json:"access_key"`
	AccessSecret      string `json:"access_secret"`
	CreatedAt         Time   `json:"created_at"`
	UpdatedAt         Time   `json:"updated_at"`
	ExpiresAt         Time   `json:"expires_at"`
	AuthenticationFor String `json:"authentication_for"` // "batch-api"
	AuthorizationType String `json:"authorization_type"` // "read-only"
}

// redacted returns t with its secret replaced by REDACTED when set.
func (t SignatureToken) redacted() SignatureToken {
	if t.AccessSecret != "" {
		t.AccessSecret = redactedSecret
	}
	return t
}

// String implements fmt.Stringer without the access secret.
func (t SignatureToken) String() string {
	return "modeclient.SignatureToken{Token: " + strconv.Quote(t.Token) + ", Name: " + strconv.Quote(t.Name) +
		", AccessKey: " + strconv.Quote(t.AccessKey) + ", AccessSecret: " + t.redacted().AccessSecret +
		", ExpiresAt: " + t.ExpiresAt.UTC().Format(time.RFC3339) + "}"
}

// GoString implements fmt.GoStringer without the access secret.
func (t SignatureToken) GoString() string { return t.String() }

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %x …) prints the access
// secret.
func (t SignatureToken) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue implements slog.LogValuer without the access secret.
func (t SignatureToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", t.Token), slog.String("name", t.Name),
		slog.String("access_key", t.AccessKey), slog.String("access_secret", t.redacted().AccessSecret),
		slog.Time("expires_at", t.ExpiresAt.Time))
}

// MarshalJSON implements json.Marshaler in Mode's form, with the access secret as REDACTED.
func (t SignatureToken) MarshalJSON() ([]byte, error) {
	type plain SignatureToken // without the methods: no recursion
	return json.Marshal(plain(t.redacted()))
}

// signatureTokensPath is the Metadata API's signature tokens of a workspace.
func signatureTokensPath(ws string) *apiPath { return newBatchPath(ws).lit("signature_tokens") }

// signatureTokenRequest is the create body Mode's documentation gives (its OpenAPI document
// gives none): {"signature_token": {"name", "expires_at", "auth_scope": {"authentication_for":
// "batch-api", "authorization_type": "read-only"}}}, the only scope Mode allows.
type signatureTokenRequest struct {
	SignatureToken struct {
		Name      string `json:"name"`
		ExpiresAt string `json:"expires_at"`
		AuthScope struct {
			AuthenticationFor string `json:"authentication_for"`
			AuthorizationType string `json:"authorization_type"`
		} `json:"auth_scope"`
	} `json:"signature_token"`
}

func newSignatureTokenRequest(name string, expiresAt time.Time) signatureTokenRequest {
	var r signatureTokenRequest
	r.SignatureToken.Name = name
	r.SignatureToken.ExpiresAt = expiresAt.UTC().Format(time.RFC3339)
	r.SignatureToken.AuthScope.AuthenticationFor = "batch-api"
	r.SignatureToken.AuthScope.AuthorizationType = "read-only"
	return r
}

// checkSignatureTokenArgs validates a signature token's name (4 to 64 characters, as Mode
// requires) and expiry (set).
func checkSignatureTokenArgs(name string, expiresAt time.Time) error {
	if n := utf8.RuneCountInString(name); n < 4 || n > 64 {
		return &InvalidArgumentError{Field: "name", Reason: "must be 4 to 64 characters"}
	}
	if expiresAt.IsZero() {
		return &InvalidArgumentError{Field: "expires_at", Reason: "must be set"}
	}
	return nil
}

// createSignatureToken sends the create request and decodes the token. The body, which holds
// the secret, is zeroed once decoded. invalidate says whether the write invalidates the cache as
// writes do (see writeBody): not for the client's own Metadata API tokens (batchauth.go), made
// in the middle of a read whose page must still be cached.
func (c *Client) createSignatureToken(ctx context.Context, workspace, name string, expiresAt time.Time, invalidate bool) (*SignatureToken, error) {
	p := signatureTokensPath(workspace)
	if p.err != nil {
		return nil, p.err
	}
	in := newSignatureTokenRequest(name, expiresAt)
	var (
		cl  *call
		raw []byte
		err error
	)
	if invalidate {
		cl, raw, err = c.writeBody(ctx, http.MethodPost, p, nil, in, tags())
	} else {
		cl, raw, err = c.sendUncached(ctx, http.MethodPost, p, in)
	}
	defer clear(raw)
	if err != nil {
		return nil, err
	}
	var t SignatureToken
	if err := decode(cl, raw, &t); err != nil {
		return nil, err
	}
	if t.Token == "" || t.AccessKey == "" || t.AccessSecret == "" {
		return nil, &DecodeError{Method: cl.method, Route: cl.route, Reason: "the signature token has no token, access key or access secret"}
	}
	return &t, nil
}

// sendUncached sends a request with a JSON body (nil for none) and returns its body: no cache,
// no invalidation.
func (c *Client) sendUncached(ctx context.Context, method string, p *apiPath, in any) (*call, []byte, error) {
	cl, err := c.newCall(method, p, nil)
	if err != nil {
		return nil, nil, err
	}
	if in != nil {
		if cl.body, err = json.Marshal(in); err != nil {
			return nil, nil, fmt.Errorf("modeclient: %s %s: encoding request body: %w", cl.method, cl.route, err)
		}
	}
	body, err := c.fetchBody(ctx, cl)
	observe(ctx, cl, false, cache.OutcomeMiss)
	return cl, body, err
}

// CreateSignatureToken makes a signature token of the Metadata API for a workspace:
// POST /batch/{workspace}/signature_tokens with {"signature_token": {"name", "expires_at",
// "auth_scope"}} (Mode's documentation; its scope can only be "batch-api", "read-only"). Mode
// requires a workspace admin's credential, a name of 4 to 64 characters and an expiry, which it
// reads on its own clock. The answer holds the access secret, which Mode shows this once: it is
// never cached, and the client keeps no copy (see SignatureToken).
//
// The client's own Metadata API reads (ListBatchReports, …) make and renew the tokens they need
// themselves (see WithBatchTokenLifetime): this is for callers that hand a token on (signed
// embeds, other tools).
func (c *Client) CreateSignatureToken(ctx context.Context, workspace, name string, expiresAt time.Time) (*SignatureToken, error) {
	if err := signatureTokensPath(workspace).err; err != nil {
		return nil, err
	}
	if err := checkSignatureTokenArgs(name, expiresAt); err != nil {
		return nil, err
	}
	return c.createSignatureToken(ctx, workspace, name, expiresAt, true)
}

// DeleteSignatureToken deletes a signature token of the Metadata API:
// DELETE /batch/{workspace}/signature_tokens/{signature_token} (Mode answers a message). Reads
// signed with it fail from then on. Mode has no call to read a signature token, so the client
// cannot check beforehand that the token is the workspace's: Mode's answer (404 for a token it
// does not know there) decides. When it is one the client made for its own reads, the client
// makes another the next time it needs one.
func (c *Client) DeleteSignatureToken(ctx context.Context, workspace, token string) error {
	p := signatureTokensPath(workspace).tok("signature_token", token)
	if p.err != nil {
		return p.err
	}
	_, _, err := c.writeBody(ctx, http.MethodDelete, p, nil, nil, tags())
	if err == nil {
		c.batchAuth.forget(workspace, token)
	}
	return err
}
