package service

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// People of WorkspaceService: GetCredential (who the service is in Mode),
// DeleteMembership (offboarding) and InviteMembers. A workspace membership
// is named by Mode's membership token; Mode's group and space membership
// bodies name a person by their user token (member_token), which
// memberTokens maps from the membership (and back).

// GetCredential answers the Mode identity behind the service's credential
// for a workspace and whether Mode accepts it. No part of the credential is
// in the answer, the logs or the spans (modeclient keeps it out of all three).
func (s *WorkspaceServer) GetCredential(ctx context.Context, req *connect.Request[modeplatformv1.GetCredentialRequest]) (*connect.Response[modeplatformv1.GetCredentialResponse], error) {
	name := req.Msg.GetName()
	ids, err := parseName("name", name, patCredential)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	valid, err := cl.VerifyCredential(ctx)
	if err != nil {
		return nil, upstreamError(err, name)
	}
	out := &modeplatformv1.Credential{Name: name, Valid: valid, CheckTime: timestamppb.New(s.core.opts.Now())}
	if valid {
		acct, err := cl.GetAccount(ctx)
		if err != nil {
			return nil, upstreamError(err, name)
		}
		out.Username, out.DisplayName, out.Email = acct.Username, acct.Name, acct.Email
		m, err := cl.GetMembershipByUsername(ctx, w, acct.Username)
		var api *modeclient.APIError
		switch {
		case err == nil:
			out.Admin = bool(m.Admin)
			if t := m.MembershipToken(); validToken(t) {
				out.Membership = membershipName(w, t)
			}
		case errors.As(err, &api) && api.StatusCode == http.StatusNotFound:
			// Not a member of this workspace: no membership to name.
		default:
			return nil, upstreamError(err, name)
		}
	}
	return connect.NewResponse(&modeplatformv1.GetCredentialResponse{Credential: out}), nil
}

// DeleteMembership removes a member from a workspace, with their group and
// space memberships.
func (s *WorkspaceServer) DeleteMembership(ctx context.Context, req *connect.Request[modeplatformv1.DeleteMembershipRequest]) (*connect.Response[modeplatformv1.DeleteMembershipResponse], error) {
	name := req.Msg.GetName()
	ids, err := parseName("name", name, patMembership)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	m, err := cl.DeleteMembership(ctx, w, ids[1])
	if err != nil {
		return nil, upstreamError(err, name)
	}
	return connect.NewResponse(&modeplatformv1.DeleteMembershipResponse{Membership: membershipFromMode(w, m)}), nil
}

// InviteMembers invites people by e-mail. Addresses of people already
// members (read from the Metadata API's member list, one request per 1,000
// members) are answered OUTCOME_ALREADY_MEMBER without asking Mode; the others
// are invited one request each (Mode's invitation takes one address). With a
// request_id, a retry answers the first call's results.
func (s *WorkspaceServer) InviteMembers(ctx context.Context, req *connect.Request[modeplatformv1.InviteMembersRequest]) (*connect.Response[modeplatformv1.InviteMembersResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil { // 1 to 50 distinct addresses; a message
		return nil, err
	}
	ids, err := parseName("parent", m.GetParent(), patWorkspace)
	if err != nil {
		return nil, err
	}
	w := ids[0]
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	fingerprint := requestFingerprint("InviteMembers", append([]string{m.GetParent(), m.GetMessage()}, m.GetEmails()...)...)
	res, err := do(ctx, s.core.creates, "InviteMembers\x00"+w, m.GetRequestId(), fingerprint,
		func(ctx context.Context) (*modeplatformv1.InviteMembersResponse, error) {
			members := map[string]bool{}
			for bm, err := range cl.ListBatchMembers(ctx, w, nil) {
				if err != nil {
					return nil, upstreamError(err, m.GetParent())
				}
				if bm.State != modeclient.MembershipStatePending && bm.MemberEmail != "" {
					members[strings.ToLower(string(bm.MemberEmail))] = true
				}
			}
			out := &modeplatformv1.InviteMembersResponse{}
			var send []string
			for _, email := range m.GetEmails() {
				if !members[strings.ToLower(email)] {
					send = append(send, email)
				}
			}
			sent := map[string]*modeplatformv1.InviteMembersResponse_Result{}
			if len(send) > 0 {
				inv, err := cl.InviteMembers(ctx, w, modeclient.InviteInput{Emails: send, Message: m.GetMessage()})
				if err != nil {
					return nil, upstreamError(err, m.GetParent())
				}
				for _, r := range inv.Results {
					sent[strings.ToLower(r.Email)] = inviteResultFromMode(r)
				}
			}
			for _, email := range m.GetEmails() {
				r := sent[strings.ToLower(email)]
				if r == nil {
					r = &modeplatformv1.InviteMembersResponse_Result{Outcome: modeplatformv1.InviteMembersResponse_Result_OUTCOME_ALREADY_MEMBER}
				}
				r.Email = email
				out.Results = append(out.Results, r)
			}
			return out, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// inviteResultFromMode translates what became of one invited address.
func inviteResultFromMode(r modeclient.InviteResult) *modeplatformv1.InviteMembersResponse_Result {
	out := &modeplatformv1.InviteMembersResponse_Result{Outcome: modeplatformv1.InviteMembersResponse_Result_OUTCOME_REFUSED}
	switch r.Status {
	case modeclient.InviteSent, modeclient.InviteResent:
		out.Outcome = modeplatformv1.InviteMembersResponse_Result_OUTCOME_INVITED
		if r.Invitation != nil {
			out.ExpireTime = timestamp(r.Invitation.ExpiresAt)
		}
	default:
		var api *modeclient.APIError
		switch {
		case errors.As(r.Err, &api):
			out.Reason = api.Message
		case r.Err != nil:
			out.Reason = r.Err.Error()
		default:
			out.Reason = "not sent"
		}
	}
	return out
}
