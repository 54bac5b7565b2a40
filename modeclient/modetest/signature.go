package modetest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Signature tokens: the credentials of Mode's Metadata API (/batch/{workspace}/…). A workspace
// admin's API token and secret (Basic auth) create one (POST /batch/{ws}/signature_tokens) and
// delete one (DELETE /batch/{ws}/signature_tokens/{token}); every read of the Metadata API then
// authenticates with it, as Mode's Discovery API documentation says:
//
//	Authorization: Bearer base64("<token>:<access_key>:<access_secret>")
//
// A read with Basic auth, or with a signature token that is unknown, deleted, expired or another
// workspace's, answers 401. Signature tokens keep real time, as report runs do: the emulator's
// clock (WithClock) is the time of schedules, and a client writes expires_at from its own clock. The access secret is in the
// answer that creates the token and nowhere else: the emulator keeps only its hash, no answer
// lists signature tokens, and the deletion answers a message. Reads signed with a token count
// against the rate limit of the API token that created it (Mode limits per user).

// signatureToken is one signature token of a workspace.
type signatureToken struct {
	ws         *store
	token      string
	name       string
	creator    string // the API token of the credential that created it
	creatorID  int    // the numeric id of the member it stands for
	accessKey  string
	secretHash [sha256.Size]byte
	createdAt  time.Time
	expiresAt  time.Time
}

// The only auth scope Mode's documentation allows.
const (
	signatureAuthFor  = "batch-api"
	signatureAuthType = "read-only"
)

// signatureTokenJSON is Mode's BatchApiRepresenters::SignatureToken. AccessSecret is set only
// in the answer that creates the token.
type signatureTokenJSON struct {
	Token             string `json:"token"`
	Name              string `json:"name"`
	CreatorID         int    `json:"creator_id"`
	OrganizationID    int    `json:"organization_id"`
	AccessKey         string `json:"access_key"`
	AccessSecret      string `json:"access_secret"`
	CreatedAt         string `json:"created_at"`
	ExpiresAt         string `json:"expires_at"`
	UpdatedAt         string `json:"updated_at"`
	AuthenticationFor string `json:"authentication_for"`
	AuthorizationType string `json:"authorization_type"`
}

// signatureTokenBody is the create body of Mode's documentation: {"signature_token": {"name",
// "expires_at", "auth_scope": {"authentication_for": "batch-api", "authorization_type":
// "read-only"}}}. (Mode's OpenAPI document gives the operation no body.)
type signatureTokenBody struct {
	SignatureToken *struct {
		Name      *string                    `json:"name"`
		ExpiresAt *string                    `json:"expires_at"`
		AuthScope map[string]json.RawMessage `json:"auth_scope"`
	} `json:"signature_token"`
}

// expiresLayouts are the forms of expires_at the emulator accepts: Mode documents ISO 8601
// ("YYYY-MM-DDTHH:mmZ") and shows "2020-08-18T22:58:47+0000" in its example.
var expiresLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
}

func parseExpires(s string) (time.Time, bool) {
	for _, l := range expiresLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// checkAuthScope validates an auth_scope object; it returns the message of a 400.
func checkAuthScope(scope map[string]json.RawMessage) string {
	if scope == nil {
		return "param is missing or the value is empty: auth_scope"
	}
	want := map[string]string{"authentication_for": signatureAuthFor, "authorization_type": signatureAuthType}
	for k := range scope {
		if _, ok := want[k]; !ok {
			return "Invalid auth_scope: authentication_for and authorization_type are its only keys"
		}
	}
	for k, v := range want {
		var got string
		if raw, ok := scope[k]; !ok || json.Unmarshal(raw, &got) != nil || got != v {
			return "Invalid auth_scope." + k + ": the only valid value is " + v
		}
	}
	return ""
}

// createSignatureToken makes a signature token of the workspace of the path for the credential
// of the request and answers it, with its access secret (200, as Mode's documentation has it).
func (e *Emulator) createSignatureToken(w http.ResponseWriter, r *http.Request) {
	var b signatureTokenBody
	if !decodeBody(w, r, &b) {
		return
	}
	st := b.SignatureToken
	if st == nil {
		badRequest(w, "param is missing or the value is empty: signature_token")
		return
	}
	if st.Name == nil || utf8.RuneCountInString(*st.Name) < 4 || utf8.RuneCountInString(*st.Name) > 64 {
		badRequest(w, "Invalid name: must be a string of 4 to 64 characters")
		return
	}
	if st.ExpiresAt == nil || *st.ExpiresAt == "" {
		badRequest(w, "param is missing or the value is empty: expires_at")
		return
	}
	expires, ok := parseExpires(*st.ExpiresAt)
	if !ok {
		badRequest(w, "Invalid expires_at: must be an ISO 8601 time (YYYY-MM-DDTHH:mmZ)")
		return
	}
	if msg := checkAuthScope(st.AuthScope); msg != "" {
		badRequest(w, msg)
		return
	}
	creator, _, _ := r.BasicAuth()
	secret := randomHex(12)
	e.mu.Lock()
	now := time.Now()
	if !expires.After(now) {
		e.mu.Unlock()
		badRequest(w, "Invalid expires_at: must be in the future")
		return
	}
	ws := urlWS(r)
	if !adminCaller(r, ws) { // a workspace admin's (access.go)
		e.mu.Unlock()
		writeError(w, http.StatusForbidden, adminOnly)
		return
	}
	tok := &signatureToken{
		ws: ws, token: ws.newToken("signature_token"), name: *st.Name, creator: creator,
		creatorID: actor(r, ws).id, accessKey: randomHex(12), secretHash: sha256.Sum256([]byte(secret)),
		createdAt: now, expiresAt: expires,
	}
	ws.sigTokens[tok.token] = tok
	e.recordAudit(r, ws, "signature_token_created", "signature_token", tok.token, tok.name)
	body := signatureJSON(tok)
	e.mu.Unlock()
	body.AccessSecret = secret
	writeJSON(w, http.StatusOK, body)
}

// signatureJSON renders tok without its access secret, which only the answer creating it shows.
func signatureJSON(tok *signatureToken) signatureTokenJSON {
	return signatureTokenJSON{
		Token: tok.token, Name: tok.name, CreatorID: tok.creatorID, OrganizationID: tok.ws.account.id,
		AccessKey: tok.accessKey, CreatedAt: formatTime(tok.createdAt), UpdatedAt: formatTime(tok.createdAt),
		ExpiresAt: formatTime(tok.expiresAt), AuthenticationFor: signatureAuthFor, AuthorizationType: signatureAuthType,
	}
}

// deleteSignatureToken deletes a signature token of the workspace of the path: reads signed
// with it answer 401 from then on. 200 with {"message": …}, as Mode's document has it.
func (e *Emulator) deleteSignatureToken(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("signature_token")
	e.mu.Lock()
	tok := find(e, r, func(st *store) *signatureToken { return st.sigTokens[key] })
	if tok != nil {
		delete(tok.ws.sigTokens, tok.token)
		e.recordAudit(r, tok.ws, "signature_token_deleted", "signature_token", tok.token, tok.name)
	}
	e.mu.Unlock()
	if tok == nil {
		notFound(w, "Signature token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Signature token " + tok.token + " was deleted"})
}

// signatureKey is the context key of the signature token a Metadata API read was signed with.
type signatureKey struct{}

// metadataRead reports whether r is a read of the Metadata API, which takes a signature token.
func metadataRead(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/batch/")
}

// authenticateSignature checks the Bearer signature token of a Metadata API read. It returns
// the token, or nil and the message of the 401 to answer.
func (e *Emulator) authenticateSignature(r *http.Request) (*signatureToken, string) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, "The Metadata API takes a signature token: Authorization: Bearer base64(token:access_key:access_secret); " +
			"create one with POST /batch/{workspace}/signature_tokens"
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return nil, "Invalid signature token"
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 {
		return nil, "Invalid signature token"
	}
	sum := sha256.Sum256([]byte(parts[2]))
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range e.workspaces {
		tok := st.sigTokens[parts[0]]
		if tok == nil {
			continue
		}
		k := subtle.ConstantTimeCompare([]byte(parts[1]), []byte(tok.accessKey))
		s := subtle.ConstantTimeCompare(sum[:], tok.secretHash[:])
		if k&s != 1 {
			return nil, "Invalid signature token"
		}
		if !time.Now().Before(tok.expiresAt) {
			return nil, "Signature token expired"
		}
		return tok, ""
	}
	return nil, "Invalid signature token"
}

// signedFor serves fn only when the signature token the read was signed with (see serve)
// belongs to the workspace of the path; otherwise it answers 401. Wrap it in inWorkspace.
func (e *Emulator) signedFor(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := r.Context().Value(signatureKey{}).(*signatureToken)
		if tok == nil || tok.ws != urlWS(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="Mode Metadata API"`)
			writeError(w, http.StatusUnauthorized, "This signature token is not one of this workspace")
			return
		}
		fn(w, r)
	}
}

// withSignature returns r carrying the signature token it was signed with.
func withSignature(r *http.Request, tok *signatureToken) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), signatureKey{}, tok))
}
