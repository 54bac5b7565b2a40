package modeclient

import (
	"context"
	"errors"
	"net/http"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// Account is the Mode user the client's credential belongs to: GET /api/account (Mode's
// "Get authorizing user", an Account with user: true). It names the person (their username,
// token and id), never the credential: Mode's answer carries neither the API token nor its
// secret, and this type has no field for either.
type Account struct {
	ID                  Int    `json:"id"`
	Token               string `json:"token"` // the user's token (a membership's member_token), not the API token
	Username            string `json:"username"`
	Name                string `json:"name"`
	Email               string `json:"email"`
	EmailVerified       Bool   `json:"email_verified"`
	User                Bool   `json:"user"` // true: a person's account
	OrganizationsCount  Int    `json:"organizations_count"`
	DatasetSizeLimitMB  Int    `json:"dataset_size_limit_mb"`
	QueryRunSizeLimitMB Int    `json:"query_run_size_limit_mb"`
	CreatedAt           Time   `json:"created_at"`
	Links               Links  `json:"_links"`
}

// WebURL returns the user's page for a person (their "web" link).
func (a *Account) WebURL() string { return a.Links.Href("web") }

// rootPath is a path of Mode's API that names no workspace (/api/account, /api/verify).
func rootPath(name string) *apiPath { return (&apiPath{root: "api"}).lit(name) }

// GetAccount returns the user the client's credential belongs to: GET /api/account. It is
// cached for the metadata TTL, under the client's credential as every entry is, so that a
// health check or a "who am I" page costs Mode one request per TTL. Mode documents the
// operation as "(Not Supported)", and answers it only for a credential of a person: a
// workspace API token may be refused (an *APIError with Mode's status).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) GetAccount(ctx context.Context) (*Account, error) {
	return getDecoded(ctx, c, rootPath("account"), nil, c.metadata(), func(cl *call, body []byte) (*Account, error) {
		a, err := decodeJSON[Account](cl, body)
		if err != nil {
			return nil, err
		}
		if a.Username == "" {
			return nil, &DecodeError{Method: cl.method, Route: cl.route, Reason: "the account has no username"}
		}
		return a, nil
	})
}

// VerifyCredential asks Mode whether it accepts the client's credential: GET /api/verify
// (Mode's "Verify User"). It answers true when Mode accepted it, false with a nil error when
// Mode refused it (401: the token or secret is wrong, revoked or rotated), and an error for
// anything else (Mode unreachable, rate limited after the client's retries, 5xx): then
// nothing is known about the credential. It is never cached: a credential check must ask
// Mode. Neither the credential nor any part of it appears in the error, a log or a span.
func (c *Client) VerifyCredential(ctx context.Context) (bool, error) {
	cl, err := c.newCall(http.MethodGet, rootPath("verify"), nil)
	if err != nil {
		return false, err
	}
	_, err = c.fetchBody(ctx, cl)
	observe(ctx, cl, false, cache.OutcomeMiss)
	var ae *APIError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized:
		return false, nil
	}
	return false, err
}
