package service_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// TestUpdateDataSource: a new name and password reach Mode; the answer, and the next read,
// show the name and carry no credentials.
func TestUpdateDataSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	ds := e.clients(protocols[0]).ds
	const password = "correct-horse-battery-staple"
	res, err := ds.UpdateDataSource(ctx, connect.NewRequest(&modeplatformv1.UpdateDataSourceRequest{
		DataSource: &modeplatformv1.DataSource{Name: e.dataSourceName(), DisplayName: "Warehouse (rotated)",
			Credentials: &modeplatformv1.DataSourceCredentials{Password: password}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "credentials.password"}},
	}))
	if err != nil {
		t.Fatalf("UpdateDataSource: %v", err)
	}
	if d := res.Msg.GetDataSource(); d.GetDisplayName() != "Warehouse (rotated)" || d.GetCredentials() != nil {
		t.Fatalf("updated data source = %v", d)
	}
	if strings.Contains(res.Msg.String(), password) {
		t.Fatal("the answer carries the password")
	}
	if !e.mode.DataSourcePasswordIs(e.demo.Workspace, e.demo.DataSource, password) {
		t.Fatal("Mode did not get the new password")
	}
	got, err := ds.GetDataSource(ctx, connect.NewRequest(&modeplatformv1.GetDataSourceRequest{Name: e.dataSourceName()}))
	if err != nil || got.Msg.GetDataSource().GetDisplayName() != "Warehouse (rotated)" {
		t.Fatalf("GetDataSource after the update = %v, %v", got, err)
	}
	// Refused before Mode: `*`, an empty password, a path that is not the data source's.
	before := e.upstream()
	for _, mask := range [][]string{{"*"}, {"credentials.password"}, {"adapter"}} {
		_, err := ds.UpdateDataSource(ctx, connect.NewRequest(&modeplatformv1.UpdateDataSourceRequest{
			DataSource: &modeplatformv1.DataSource{Name: e.dataSourceName()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: mask},
		}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("UpdateDataSource with mask %v: %v, want InvalidArgument", mask, err)
		}
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for refused updates", n)
	}
}

// TestPurgesAndSchemaRefresh: purging a data source's results once per request_id makes a
// finished run's results unreadable; a workspace purge and a schema refresh are idempotent
// under request_id too.
func TestPurgesAndSchemaRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	c := e.clients(protocols[0])
	run := succeededRun(t, ctx, c.rs, e.reportName(e.demo.Reports[0]), nil)
	qruns, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: run}))
	if err != nil || len(qruns.Msg.GetQueryRuns()) == 0 {
		t.Fatalf("ListQueryRuns = %v, %v", qruns, err)
	}
	readResults := func() error {
		stream, err := c.rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: qruns.Msg.GetQueryRuns()[0].GetName()}))
		if err != nil {
			return err
		}
		for stream.Receive() {
		}
		return stream.Err()
	}
	if err := readResults(); err != nil {
		t.Fatalf("results before the purge: %v", err)
	}

	purgePath := "/api/" + e.demo.Workspace + "/data_sources/" + e.demo.DataSource + "/purge"
	for range 2 {
		if _, err := c.ds.PurgeDataSourceResults(ctx, connect.NewRequest(&modeplatformv1.PurgeDataSourceResultsRequest{Name: e.dataSourceName(), RequestId: "purge-1"})); err != nil {
			t.Fatalf("PurgeDataSourceResults: %v", err)
		}
	}
	if n := e.mode.CountRequests(http.MethodPost, purgePath); n != 1 {
		t.Errorf("%d purges reached Mode for one request_id, want 1", n)
	}
	if err := readResults(); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("results after the purge: %v, want NotFound", err)
	}

	for range 2 {
		if _, err := c.rs.PurgeReportResults(ctx, connect.NewRequest(&modeplatformv1.PurgeReportResultsRequest{Parent: e.ws, RequestId: "purge-ws"})); err != nil {
			t.Fatalf("PurgeReportResults: %v", err)
		}
	}
	if n := e.mode.CountRequests(http.MethodPost, "/api/"+e.demo.Workspace+"/reports/purge"); n != 1 {
		t.Errorf("%d workspace purges reached Mode for one request_id, want 1", n)
	}

	var first *modeplatformv1.SchemaRefresh
	for range 2 {
		res, err := c.ds.RefreshDataSourceSchema(ctx, connect.NewRequest(&modeplatformv1.RefreshDataSourceSchemaRequest{Name: e.dataSourceName(), RequestId: "schema-1"}))
		if err != nil {
			t.Fatalf("RefreshDataSourceSchema: %v", err)
		}
		if first == nil {
			first = res.Msg.GetSchemaRefresh()
		} else if res.Msg.GetSchemaRefresh().GetToken() != first.GetToken() {
			t.Errorf("the retry answered refresh %s, want %s", res.Msg.GetSchemaRefresh().GetToken(), first.GetToken())
		}
	}
	if first.GetToken() == "" || first.GetState() == "" {
		t.Errorf("schema refresh = %v", first)
	}
}

// TestSignatureTokens: the secret is in the creating call's answer only; a retry with the same
// request_id answers the same token without it; delete removes it; bad input is refused before
// Mode.
func TestSignatureTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	ws := e.clients(protocols[0]).ws
	creates := func() int {
		return e.mode.CountRequests(http.MethodPost, "/batch/"+e.demo.Workspace+"/signature_tokens")
	}
	before := creates()
	req := &modeplatformv1.CreateSignatureTokenRequest{Parent: e.ws, RequestId: "embed-1", SignatureToken: &modeplatformv1.SignatureToken{
		DisplayName: "Embeds for the intranet", ExpireTime: timestamppb.New(time.Now().Add(48 * time.Hour)),
	}}
	first, err := ws.CreateSignatureToken(ctx, connect.NewRequest(req))
	if err != nil {
		t.Fatalf("CreateSignatureToken: %v", err)
	}
	tok := first.Msg.GetSignatureToken()
	if !strings.HasPrefix(tok.GetName(), e.ws+"/signatureTokens/") || tok.GetAccessKey() == "" || tok.GetAccessSecret() == "" ||
		tok.GetDisplayName() != "Embeds for the intranet" || tok.GetExpireTime() == nil {
		t.Fatalf("created token = %v", tok)
	}
	again, err := ws.CreateSignatureToken(ctx, connect.NewRequest(req))
	if err != nil || again.Msg.GetSignatureToken().GetName() != tok.GetName() || again.Msg.GetSignatureToken().GetAccessSecret() != "" {
		t.Fatalf("the retry = %v, %v; want %s without its secret", again, err, tok.GetName())
	}
	if n := creates() - before; n != 1 {
		t.Errorf("%d tokens created for one request_id, want 1", n)
	}
	if _, err := ws.DeleteSignatureToken(ctx, connect.NewRequest(&modeplatformv1.DeleteSignatureTokenRequest{Name: tok.GetName()})); err != nil {
		t.Fatalf("DeleteSignatureToken: %v", err)
	}
	if _, err := ws.DeleteSignatureToken(ctx, connect.NewRequest(&modeplatformv1.DeleteSignatureTokenRequest{Name: tok.GetName()})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("DeleteSignatureToken again: %v, want NotFound", err)
	}

	before = e.upstream()
	for _, tt := range []struct {
		name  string
		token *modeplatformv1.SignatureToken
	}{
		{"name too short", &modeplatformv1.SignatureToken{DisplayName: "abc"}},
		{"expired already", &modeplatformv1.SignatureToken{DisplayName: "Embeds", ExpireTime: timestamppb.New(time.Now().Add(-time.Hour))}},
		{"expiring in two years", &modeplatformv1.SignatureToken{DisplayName: "Embeds", ExpireTime: timestamppb.New(time.Now().Add(2 * 365 * 24 * time.Hour))}},
	} {
		_, err := ws.CreateSignatureToken(ctx, connect.NewRequest(&modeplatformv1.CreateSignatureTokenRequest{Parent: e.ws, SignatureToken: tt.token}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.HasPrefix(badRequestField(err), "signature_token.") {
			t.Errorf("%s: %v (field %q), want InvalidArgument naming signature_token.…", tt.name, err, badRequestField(err))
		}
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for refused tokens", n)
	}
}
