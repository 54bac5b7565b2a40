package modeclient

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// DatasetRun is one run of a dataset (Mode's DatasetRun). Its query runs and their results are
// those of the same run read as a report run: ListQueryRuns, GetQueryRun and the results
// methods take the dataset's token as the report and the run's token (its "query_runs" link
// leads there).
type DatasetRun struct {
	Token string `json:"token"`
	// State is the run's state: RunStatePending, RunStateEnqueued, RunStateSucceeded,
	// RunStateFailed, RunStateCancelled or RunStateCompleted in Mode's document;
	// RunStateUnknown for a spelling this client does not know.
	State                              RunState   `json:"state"`
	Parameters                         Parameters `json:"parameters"`
	CreatedAt                          Time       `json:"created_at"`
	UpdatedAt                          Time       `json:"updated_at"`
	CompletedAt                        Time       `json:"completed_at"`
	PurgeStartedAt                     Time       `json:"purge_started_at"`
	PurgeCompletedAt                   Time       `json:"purge_completed_at"`
	IsLatestDatasetRun                 Bool       `json:"is_latest_dataset_run"`
	IsLatestSuccessfulDatasetRun       Bool       `json:"is_latest_successful_dataset_run"`
	DatasetHasFailuresSinceLastSuccess Bool       `json:"dataset_has_failures_since_last_success"`
	PusherChannelName                  String     `json:"pusher_channel_name"`
	Links                              Links      `json:"_links"`
}

// UnmarshalJSON implements json.Unmarshaler. Mode's document gives POST …/datasets/{d}/runs a
// DatasetRun and the GETs of dataset runs a ReportRun: the latest and failures flags are read
// under either name (is_latest_dataset_run or is_latest_report_run, …), the dataset's when
// both are present.
func (r *DatasetRun) UnmarshalJSON(b []byte) error {
	type plain DatasetRun
	var v struct {
		plain
		IsLatestReportRun                 *Bool `json:"is_latest_report_run"`
		IsLatestSuccessfulReportRun       *Bool `json:"is_latest_successful_report_run"`
		ReportHasFailuresSinceLastSuccess *Bool `json:"report_has_failures_since_last_success"`
		IsLatestDatasetRun                *Bool `json:"is_latest_dataset_run"`
		IsLatestSuccessfulDatasetRun      *Bool `json:"is_latest_successful_dataset_run"`
		DatasetHasFailures                *Bool `json:"dataset_has_failures_since_last_success"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = DatasetRun(v.plain)
	pick := func(dataset, report *Bool) Bool {
		switch {
		case dataset != nil:
			return *dataset
		case report != nil:
			return *report
		}
		return false
	}
	r.IsLatestDatasetRun = pick(v.IsLatestDatasetRun, v.IsLatestReportRun)
	r.IsLatestSuccessfulDatasetRun = pick(v.IsLatestSuccessfulDatasetRun, v.IsLatestSuccessfulReportRun)
	r.DatasetHasFailuresSinceLastSuccess = pick(v.DatasetHasFailures, v.ReportHasFailuresSinceLastSuccess)
	return nil
}

// RunState is the run's state (State), as ReportRun.RunState reads a report run's.
func (r *DatasetRun) RunState() RunState { return r.State }

// Finished reports whether the run reached a terminal state.
func (r *DatasetRun) Finished() bool { return r.State.Terminal() }

// WebURL returns the run's page for a person (its "share" link).
func (r *DatasetRun) WebURL() string { return r.Links.Href("share") }

func datasetRunsPath(ws, dataset string) *apiPath { return datasetPath(ws, dataset).lit("runs") }

func datasetRunPath(ws, dataset, run string) *apiPath {
	return datasetRunsPath(ws, dataset).tok("run", run)
}

// datasetRunEndTags are invalidated when a run of dataset ends: the dataset (both paths: its
// last run fields), the dataset lists showing them, its fields (the latest fields are those of
// its last successful run) and its run lists (shared with its report run lists).
func datasetRunEndTags(ws, dataset string) []string {
	return []string{apiPathOf(datasetPath(ws, dataset)), apiPathOf(reportPath(ws, dataset)), listTag(ws, "datasets"),
		reportListTag(ws, dataset, "fields"), reportListTag(ws, dataset, "runs")}
}

// datasetRunEnds returns what runsEndedBy reads of dataset runs.
func datasetRunEnds(runs []DatasetRun) []runEnd {
	ends := make([]runEnd, 0, len(runs))
	for _, r := range runs {
		ends = append(ends, runEnd{token: r.Token, terminal: r.State.Terminal(), completed: r.CompletedAt.Time, updated: r.UpdatedAt.Time})
	}
	return ends
}

// datasetRunPolicy caches a finished dataset run for the finished TTL and one in progress not at
// all; the first fetch that shows the run finished invalidates what its end changed.
func (c *Client) datasetRunPolicy(ws, dataset string) cachePolicy {
	policy := c.runPolicy(reportScopeTag(ws, dataset))
	key := func(run string) string { return apiPathOf(datasetRunPath(ws, dataset, run)) }
	return func(v any) (time.Duration, []string) {
		if r, ok := v.(*DatasetRun); ok && r != nil {
			c.runsEndedBy(datasetRunEnds([]DatasetRun{*r}), key, datasetRunEndTags(ws, dataset))
		}
		return policy(v)
	}
}

// datasetRunListPolicy caches a page of a dataset's runs only when every run on it is finished,
// and invalidates what the end of a run on it changed when it is seen finished for the first
// time (but the run lists: see reportRunListPolicy).
func (c *Client) datasetRunListPolicy(ws, dataset string) cachePolicy {
	policy := c.runListPolicy(reportListTag(ws, dataset, "runs"), reportScopeTag(ws, dataset))
	key := func(run string) string { return apiPathOf(datasetRunPath(ws, dataset, run)) }
	end := datasetRunEndTags(ws, dataset)
	return func(v any) (time.Duration, []string) {
		if p, ok := v.(*Page[DatasetRun]); ok && p != nil {
			c.runsEndedBy(datasetRunEnds(p.Items), key, end[:len(end)-1])
		}
		return policy(v)
	}
}

// RunDataset starts a run of a dataset (a refresh): POST /api/{workspace}/datasets/{dataset}/runs.
// Mode answers 202 with the run, usually not finished: poll GetDatasetRun until Finished. The
// dataset is read first (GetDataset; free when cached): one of another workspace is not found
// and is not run (see checkOwner).
func (c *Client) RunDataset(ctx context.Context, workspace, dataset string) (*DatasetRun, error) {
	if err := datasetRunsPath(workspace, dataset).err; err != nil {
		return nil, err
	}
	if err := c.verifyDataset(ctx, workspace, dataset); err != nil {
		return nil, err
	}
	var r DatasetRun
	if err := c.write(ctx, http.MethodPost, datasetRunsPath(workspace, dataset), nil, &r,
		tags(reportListTag(workspace, dataset, "runs"), apiPathOf(datasetPath(workspace, dataset)),
			apiPathOf(reportPath(workspace, dataset)))); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetDatasetRun returns one run of a dataset: GET /api/{workspace}/datasets/{dataset}/runs/{run}.
// Finished runs are cached for the finished TTL, others not at all; the first fetch that shows
// the run finished invalidates the dataset, the dataset lists, its fields and its run lists.
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) GetDatasetRun(ctx context.Context, workspace, dataset, run string) (*DatasetRun, error) {
	return getJSON[DatasetRun](ctx, c, datasetRunPath(workspace, dataset, run), nil, c.datasetRunPolicy(workspace, dataset))
}

// ListDatasetRunsPage returns one page of a dataset's runs, newest first:
// GET /api/{workspace}/datasets/{dataset}/runs (ListDatasetRunsPageWithOptions filters and
// orders).
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetRunsPage(ctx context.Context, workspace, dataset string, page int, opts *ListOptions) (*Page[DatasetRun], error) {
	return c.ListDatasetRunsPageWithOptions(ctx, workspace, dataset, page, listOptionsOnly(opts))
}

// ListDatasetRunsPageWithOptions is ListDatasetRunsPage with Mode's filter, order and order_by
// (as report run lists take them).
// The result is shared with the cache: read-only (see Shared values in the
// package doc).
func (c *Client) ListDatasetRunsPageWithOptions(ctx context.Context, workspace, dataset string, page int, opts *ListRunsOptions) (*Page[DatasetRun], error) {
	q, page, err := c.pageQuery(page, opts.listOptions())
	if err != nil {
		return nil, err
	}
	if err := opts.query(q); err != nil {
		return nil, err
	}
	// Mode's document types the list ReportRuns; the emulator embeds "report_runs" too.
	return listPage[DatasetRun](ctx, c, datasetRunsPath(workspace, dataset), q, page, "report_runs", c.datasetRunListPolicy(workspace, dataset))
}

// ListDatasetRuns iterates over all of a dataset's runs, fetching pages lazily.
// The items yielded share their links and other maps and slices with the
// cache: read-only (see Shared values in the package doc).
func (c *Client) ListDatasetRuns(ctx context.Context, workspace, dataset string, opts *ListOptions) iter.Seq2[DatasetRun, error] {
	return listAll(func(page int) (*Page[DatasetRun], error) {
		return c.ListDatasetRunsPage(ctx, workspace, dataset, page, opts)
	}, func(r DatasetRun) string { return r.Token })
}
