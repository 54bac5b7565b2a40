package modeclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Invitations: POST /api/{workspace}/invites. Mode's document (CreateInviteRequestBody) takes
// one invitee per request, {"invite": {"invitee": {"email"}, "message"}}, and answers one
// Invite; InviteMembers invites several people as one request each, in order, and reports each
// address's outcome:
//
//   - InviteSent: Mode invited the person (a new user, or a user of another workspace) into a
//     pending membership of the workspace (Membership.State "pending", Invited);
//   - InviteResent: the address was already invited and had not joined: Mode sent the
//     invitation again (Invitation.ResentAt);
//   - InviteRefused: Mode refused the address with a 400 — for an address the client found
//     well formed, most often because the person is already a member; Err holds Mode's answer
//     (an *APIError), which the client does not parse;
//   - InviteInvalid: the client found the address malformed and did not send it;
//   - InviteFailed: its request failed in a way that concerns every address (401, 403, 404,
//     429 after the client's retries, 5xx, a broken connection, an answer that does not
//     decode): Mode may or may not have invited the person; the call stops there, with that
//     error;
//   - InviteNotSent: not sent, because an earlier address's request failed.
//
// An invitation is a write: it is never retried unless Mode answered 429 (it did not process
// it). Each one drops the workspace's cached memberships (and groups, spaces lists and
// Metadata API pages, as DeleteMembership does).

// Bounds of InviteMembers, the client's own: Mode documents none. Each address costs one of
// the credential's requests (about 4 a second).
const (
	// MaxInviteEmails is how many addresses one InviteMembers call takes.
	MaxInviteEmails = 50
	// MaxInviteMessage is the longest message, in characters.
	MaxInviteMessage = 5000
	// maxEmailLength is RFC 5321's limit on an address.
	maxEmailLength = 254
)

// InviteInput is who InviteMembers invites, and what the invitation says.
type InviteInput struct {
	// Emails are the people's e-mail addresses, bare ("harold@example.com", no display name).
	// Addresses that differ only in case are one person, invited once.
	Emails []string
	// Message is the invitation's text (Mode requires the field; it may be empty).
	Message string
}

// Invite is what InviteMembers did: one result per distinct address of the input, in the order
// given.
type Invite struct {
	Results []InviteResult
}

// Invited returns the results of the addresses Mode invited (sent or sent again).
func (in *Invite) Invited() []InviteResult {
	var out []InviteResult
	for _, r := range in.Results {
		if r.Status == InviteSent || r.Status == InviteResent {
			out = append(out, r)
		}
	}
	return out
}

// InviteResult is the outcome of one address.
type InviteResult struct {
	Email  string       // as given
	Status InviteStatus // what happened to it
	// Invitation is Mode's answer, for InviteSent and InviteResent.
	Invitation *Invitation
	// Err says why, for InviteRefused (Mode's *APIError), InviteInvalid (an
	// *InvalidArgumentError) and InviteFailed (InviteMembers' error).
	Err error
}

// InviteStatus is the outcome of inviting one address (see the package doc of invites.go).
type InviteStatus int

// The outcomes of one address.
const (
	InviteNotSent InviteStatus = iota // not sent: an earlier request failed (InviteMembers' error)
	InviteSent                        // invited into a pending membership
	InviteResent                      // already invited and not joined: sent again
	InviteRefused                     // Mode refused it (400), e.g. the person is a member already
	InviteInvalid                     // malformed: not sent
	InviteFailed                      // its request failed (InviteMembers' error): Mode may or may not have invited
)

// String returns the outcome's name ("sent", "resent", …).
func (s InviteStatus) String() string {
	switch s {
	case InviteSent:
		return "sent"
	case InviteResent:
		return "resent"
	case InviteRefused:
		return "refused"
	case InviteInvalid:
		return "invalid"
	case InviteFailed:
		return "failed"
	}
	return "not sent"
}

// Invitation is Mode's Invite: one person's invitation to a workspace.
type Invitation struct {
	Email          string `json:"email"`
	Message        string `json:"message"`
	InviterID      Int    `json:"inviter_id"`
	InviteeID      Int    `json:"invitee_id"`
	OrganizationID Int    `json:"organization_id"`
	Limited        Bool   `json:"limited"`
	SentAt         Time   `json:"sent_at"`
	ResentAt       Time   `json:"resent_at"`
	ClickedAt      Time   `json:"clicked_at"`
	AcceptedAt     Time   `json:"accepted_at"`
	ExpiresAt      Time   `json:"expires_at"`
	CreatedAt      Time   `json:"created_at"`
	Links          Links  `json:"_links"`
}

// MembershipToken returns the token of the pending membership the invitation made, from its
// "membership" link ("" when Mode's answer has none): DeleteMembership withdraws the
// invitation with it.
func (i *Invitation) MembershipToken() string { return membershipTokenOf(i.Links.Href("membership")) }

// InviteeUsername returns the invited person's username, from the invitee link
// (/api/{username}); "" when there is none.
func (i *Invitation) InviteeUsername() string {
	rest, ok := strings.CutPrefix(linkPath(i.Links.Href("invitee")), "/api/")
	if !ok || strings.Contains(rest, "/") || !ValidWorkspace(rest) {
		return ""
	}
	return rest
}

// linkPath returns the path of an href, "" when it does not parse.
func linkPath(href string) string {
	i := strings.Index(href, "/api/")
	if i < 0 {
		return ""
	}
	p, _, _ := strings.Cut(href[i:], "?")
	return p
}

func invitesPath(ws string) *apiPath { return newPath(ws).lit("invites") }

// checkEmail reports why s is not a bare e-mail address (local@domain.tld), "" when it is one.
func checkEmail(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > maxEmailLength:
		return "longer than " + strconv.Itoa(maxEmailLength) + " bytes"
	case !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n<>,;\""):
		return "must be one bare address (no name, spaces, brackets or separators)"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "is not an e-mail address"
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(strings.Trim(domain, "."), ".") {
		return "has no domain"
	}
	return ""
}

// InviteMembers invites people to a workspace by e-mail, with a message:
// POST /api/{workspace}/invites, once per distinct address, in order (see the outcomes at the
// top of invites.go). Malformed addresses are reported (InviteInvalid) and not sent. An input
// with no address, more than MaxInviteEmails addresses or a message longer than
// MaxInviteMessage is an *InvalidArgumentError, and nothing is sent.
//
// A failure that concerns every address (see InviteFailed) stops the call: InviteMembers
// returns the Invite so far — that address InviteFailed, those after it InviteNotSent — and
// that error. Otherwise the error is nil, whatever each address's outcome.
func (c *Client) InviteMembers(ctx context.Context, workspace string, in InviteInput) (*Invite, error) {
	p := invitesPath(workspace)
	switch {
	case p.err != nil:
		return nil, p.err
	case len(in.Emails) == 0:
		return nil, &InvalidArgumentError{Field: "emails", Reason: "must name at least one address"}
	case len(in.Emails) > MaxInviteEmails:
		return nil, &InvalidArgumentError{Field: "emails", Reason: "at most " + strconv.Itoa(MaxInviteEmails) + " addresses a call"}
	case !utf8.ValidString(in.Message):
		return nil, &InvalidArgumentError{Field: "message", Reason: "must be UTF-8"}
	case utf8.RuneCountInString(in.Message) > MaxInviteMessage:
		return nil, &InvalidArgumentError{Field: "message", Reason: "longer than " + strconv.Itoa(MaxInviteMessage) + " characters"}
	}
	out := &Invite{}
	seen := map[string]bool{}
	for _, email := range in.Emails {
		email = strings.TrimSpace(email)
		if seen[strings.ToLower(email)] {
			continue
		}
		seen[strings.ToLower(email)] = true
		r := InviteResult{Email: email}
		if reason := checkEmail(email); reason != "" {
			r.Status, r.Err = InviteInvalid, &InvalidArgumentError{Field: "emails", Reason: "an address " + reason}
		}
		out.Results = append(out.Results, r)
	}
	for i := range out.Results {
		r := &out.Results[i]
		if r.Status == InviteInvalid {
			continue
		}
		inv, err := c.inviteOne(ctx, workspace, r.Email, in.Message)
		var ae *APIError
		switch {
		case err == nil:
			r.Invitation, r.Status = inv, InviteSent
			if !inv.ResentAt.IsZero() {
				r.Status = InviteResent
			}
		case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest:
			r.Status, r.Err = InviteRefused, err
		default:
			r.Status, r.Err = InviteFailed, err
			return out, err
		}
	}
	return out, nil
}

// inviteOne sends one invitation and decodes Mode's answer.
func (c *Client) inviteOne(ctx context.Context, workspace, email, message string) (*Invitation, error) {
	type invitee struct {
		Email string `json:"email"`
	}
	body := struct {
		Invite struct {
			Invitee invitee `json:"invitee"`
			Message string  `json:"message"`
		} `json:"invite"`
	}{}
	body.Invite.Invitee.Email, body.Invite.Message = email, message
	cl, raw, err := c.writeBody(ctx, http.MethodPost, invitesPath(workspace), nil, body, peopleWriteTags(workspace))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &DecodeError{Method: cl.method, Route: cl.route, Reason: "empty answer"}
	}
	inv, err := decodeJSON[Invitation](cl, raw)
	if err != nil {
		return nil, err
	}
	// The invitation's membership, when its link names one, must be of this workspace.
	if ws, ok := c.hrefWorkspace(inv.Links.Href("membership")); ok && ws != workspace {
		return nil, &WrongWorkspaceError{Method: cl.method, Route: cl.route, Workspace: workspace}
	}
	return inv, nil
}
