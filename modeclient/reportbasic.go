package modeclient

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/modeplatform/modeplatform/modeclient/cache"
)

// A report's basic view is what the Metadata API lists of it (BatchReport). Each page of
// ListBatchReportsPage fetched from Mode (or from a second cache level) stores every report it
// lists under the report's basic key, for the metadata TTL, tagged like the report itself: so a
// GetReportBasic of a report a recent workspace-wide listing held costs no request, and a write
// of the report, or the end of one of its runs, drops the entry with the report's. The entries
// are kept by this process's cache only (a second level shares the pages, not these).

// basicViewQuery is the query of the cache key of a report's basic view: the report's own path
// with it is a key no request uses.
const basicViewQuery = "view=basic"

// basicReportKey is the cache key of the basic view of the report at path p.
func (c *Client) basicReportKey(p *apiPath) cache.Key {
	return cache.Key{Credential: c.fingerprint, Method: "GET", Path: apiPathOf(p), Query: basicViewQuery}
}

// warmBasicReports stores the basic view of every report of a Metadata API page of workspace,
// fetched after the cache's logical time since (see cache.StoreSince).
func (c *Client) warmBasicReports(workspace string, reports []BatchReport, since uint64) {
	if c.cache == nil {
		return
	}
	for i := range reports {
		r := &reports[i]
		p := reportPath(workspace, r.Token)
		if p.err != nil {
			continue
		}
		body, err := json.Marshal(r)
		if err != nil {
			continue
		}
		path := apiPathOf(p)
		c.cache.StoreSince(c.basicReportKey(p), body, c.metadataTTL,
			[]string{path, reportScopeTag(workspace, r.Token), batchTag(workspace), listTag(workspace, "reports")}, since)
	}
}

// GetReportBasic returns a report's basic view: what the Metadata API lists of it. When a
// workspace-wide listing (ListBatchReportsPage) fetched by this client within the metadata TTL
// held the report, and nothing has changed it since, the answer costs no request; otherwise it
// is read with GetReport (free when cached) and cut down to the basic view. Writes of the
// report and the end of its runs drop the stored view, as they drop the report.
func (c *Client) GetReportBasic(ctx context.Context, workspace, report string) (*BatchReport, error) {
	p := reportPath(workspace, report)
	if p.err != nil {
		return nil, p.err
	}
	if c.cache != nil && !cacheBypassed(ctx) {
		if body, ok := c.cache.Lookup(c.basicReportKey(p)); ok {
			var r BatchReport
			if err := json.Unmarshal(body, &r); err == nil && r.Token == report {
				return &r, nil
			}
		}
	}
	full, err := c.GetReport(ctx, workspace, report)
	if err != nil {
		return nil, err
	}
	return basicOfReport(full), nil
}

// basicOfReport is the basic view of a full report.
func basicOfReport(r *Report) *BatchReport {
	return &BatchReport{
		ID:                    r.ID,
		Token:                 r.Token,
		Name:                  r.Name,
		Description:           r.Description,
		CreatedAt:             r.CreatedAt,
		EditedAt:              r.EditedAt,
		UpdatedAt:             r.UpdatedAt,
		LastSuccessfullyRunAt: r.LastSuccessfullyRunAt,
		LastRunAt:             r.LastRunAt,
		SpaceToken:            String(r.SpaceToken),
	}
}

// WebURL returns the path of the report's page in Mode's web app, relative to the client's base
// URL (resolve it with Client.ResolveURL): /{workspace}/reports/{token}. The Metadata API gives
// no web link, and a report's page follows this one pattern on Mode.
func (r *BatchReport) WebURL(workspace string) string {
	return webPath(workspace, "reports", r.Token)
}

// WebURL returns the path of the space's page in Mode's web app (see BatchReport.WebURL):
// /{workspace}/spaces/{token}.
func (s *BatchSpace) WebURL(workspace string) string {
	return webPath(workspace, "spaces", s.Token)
}

// webPath is the web app path of an object of workspace, escaped; "" when an id is not valid.
func webPath(workspace, kind, token string) string {
	if !ValidWorkspace(workspace) || !ValidToken(token) {
		return ""
	}
	return "/" + url.PathEscape(workspace) + "/" + kind + "/" + url.PathEscape(token)
}
