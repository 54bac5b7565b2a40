package modeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RunOptions is the parameter form of a report run (Mode's "Form Fields" operation): the fields
// the report's queries declared in their Liquid {% form %} blocks when the run ran. A report
// without parameters has none.
type RunOptions struct {
	FormFields []FormField
	Links      Links
}

// FormField is one parameter of a report's form (Mode's "FormField"). Mode's document requires
// name, options, options_error and source_size; type, label, description and default are what
// Mode's form declares besides, read when sent.
type FormField struct {
	Name        string `json:"name"`
	Type        String `json:"type"` // text, number, date, select, multiselect…
	Label       String `json:"label"`
	Description String `json:"description"`
	// Default is the value a run without this parameter uses, as Mode sends it (a JSON string
	// or number; null or absent when none).
	Default json.RawMessage `json:"default"`
	// Options are the allowed values of a select (none for a free field).
	Options      FormOptions `json:"options"`
	OptionsError String      `json:"options_error"` // why the options could not be listed
	SourceSize   Int         `json:"source_size"`   // how many rows the options came from
	Links        Links       `json:"_links"`
}

// HasDefault reports whether the field has a default value (an empty string may be one).
func (f *FormField) HasDefault() bool {
	b := bytes.TrimSpace(f.Default)
	return len(b) > 0 && !isNull(b)
}

// DefaultString is the field's default as text ("" when none): a string unquoted, a number as
// written.
func (f *FormField) DefaultString() string {
	b := bytes.TrimSpace(f.Default)
	if len(b) == 0 || isNull(b) {
		return ""
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// FormOption is one allowed value of a form field and what a form shows for it.
type FormOption struct {
	Label string
	Value string
}

// FormOptions decodes a field's options in the shapes Mode may send them: [label, value] pairs,
// plain values, {"label", "value"} objects, or a string (Mode's document types options as a
// string: a JSON list inside it, or values separated by commas). Null and "" are no options.
type FormOptions []FormOption

// UnmarshalJSON implements json.Unmarshaler.
func (o *FormOptions) UnmarshalJSON(b []byte) error {
	*o = nil
	if isNull(b) {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), o) == nil {
			return nil
		}
		for _, v := range strings.Split(s, ",") {
			v = strings.TrimSpace(v)
			*o = append(*o, FormOption{Label: v, Value: v})
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	for _, it := range items {
		var pair []any
		if json.Unmarshal(it, &pair) == nil {
			switch len(pair) {
			case 1:
				v := scalarText(pair[0])
				*o = append(*o, FormOption{Label: v, Value: v})
			case 2:
				*o = append(*o, FormOption{Label: scalarText(pair[0]), Value: scalarText(pair[1])})
			default:
				return errors.New("a form option list of " + string(it))
			}
			continue
		}
		var obj struct {
			Label any `json:"label"`
			Value any `json:"value"`
		}
		if it = bytes.TrimSpace(it); len(it) > 0 && it[0] == '{' {
			if err := json.Unmarshal(it, &obj); err != nil {
				return err
			}
			v := scalarText(obj.Value)
			l := scalarText(obj.Label)
			if l == "" {
				l = v
			}
			*o = append(*o, FormOption{Label: l, Value: v})
			continue
		}
		var v any
		if err := json.Unmarshal(it, &v); err != nil {
			return err
		}
		*o = append(*o, FormOption{Label: scalarText(v), Value: scalarText(v)})
	}
	return nil
}

// scalarText renders a decoded JSON scalar as text.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// UnmarshalJSON implements json.Unmarshaler: a HAL collection embedding form_fields (what the
// emulator sends), a bare list of fields, or one field (the schema Mode's document gives).
func (r *RunOptions) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &r.FormFields)
	}
	var o struct {
		Name     *string `json:"name"`
		Links    Links   `json:"_links"`
		Embedded struct {
			FormFields []FormField `json:"form_fields"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	if o.Name != nil {
		var f FormField
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		r.FormFields, r.Links = []FormField{f}, f.Links
		return nil
	}
	r.FormFields, r.Links = o.Embedded.FormFields, o.Links
	return nil
}

func (r *RunOptions) owner() (string, Links) { return "", r.Links }

// Field returns the form field named name, or nil.
func (r *RunOptions) Field(name string) *FormField {
	for i := range r.FormFields {
		if r.FormFields[i].Name == name {
			return &r.FormFields[i]
		}
	}
	return nil
}

// GetReportRunOptions returns the parameter form of a report run:
// GET /api/{workspace}/reports/{report}/runs/{run}/options. It is cached as metadata, tagged
// with the report (a write of the report drops it).
// The result is shared with the cache: read-only (see Shared values in the package doc).
func (c *Client) GetReportRunOptions(ctx context.Context, workspace, report, run string) (*RunOptions, error) {
	return getJSON[RunOptions](ctx, c, runPath(workspace, report, run).lit("options"), nil,
		c.metadata(reportScopeTag(workspace, report)))
}

// ErrNeverRun is returned by GetReportParameters for a report that has no run to read its form
// from.
var ErrNeverRun = errors.New("modeclient: the report has never run")

// GetReportParameters returns the parameter form of a report without naming a run: the form of
// its last run (Mode answers a form only for a run). The report is read (GetReport; free when
// cached) for its last run's token, taken from its last_run link or, without one, its last
// successful run. A report that never ran has no form to read: ErrNeverRun. The form is the one
// the report had when that run ran; a report edited since may take other parameters.
func (c *Client) GetReportParameters(ctx context.Context, workspace, report string) (*RunOptions, error) {
	rep, err := c.GetReport(ctx, workspace, report)
	if err != nil {
		return nil, err
	}
	run := ""
	if l, ok := rep.Links["last_run"]; ok {
		if i := strings.LastIndex(l.Href, "/runs/"); i >= 0 {
			run = strings.Trim(l.Href[i+len("/runs/"):], "/")
		}
	}
	if run == "" || strings.ContainsAny(run, "/?{") {
		run = rep.LastSuccessfulRunToken
	}
	if run == "" {
		return nil, ErrNeverRun
	}
	return c.GetReportRunOptions(ctx, workspace, report, run)
}

// RunDuplicate is a duplication of a report run (Mode's "ReportRunDuplicate", which Mode's
// document names without defining): the copy of a report as of one run, with that run's results,
// into a new report in a collection. Mode enqueues it; State reaches succeeded (or failed), and
// NewReportToken names the copy once it is made.
type RunDuplicate struct {
	Token           string `json:"token"`
	State           string `json:"state"`
	CreatedAt       Time   `json:"created_at"`
	UpdatedAt       Time   `json:"updated_at"`
	CompletedAt     Time   `json:"completed_at"`
	ReportToken     String `json:"report_token"`
	ReportRunToken  String `json:"report_run_token"`
	CollectionToken String `json:"collection_token"`
	NewReportToken  String `json:"new_report_token"`
	Links           Links  `json:"_links"`
}

// Finished reports whether the duplication has ended.
func (d *RunDuplicate) Finished() bool { return terminalState(d.State) }

func (d *RunDuplicate) owner() (string, Links) { return "", d.Links }

func runDuplicatesPath(ws, report, run string) *apiPath {
	return runPath(ws, report, run).lit("duplicates")
}

// DuplicateReportRun copies the report as of run, with the run's results, into a new report:
// POST /api/{workspace}/reports/{report}/runs/{run}/duplicates[?collection_id=…]. collection is
// the token of the collection (space) to put the copy in; "" leaves it to Mode (the report's own
// space, in the emulator). Mode answers the enqueued duplicate: poll GetReportRunDuplicate. The
// run is read first (GetReportRun; free when cached): one of another workspace is not found and
// is not duplicated. The write drops the cached report lists (the copy is a new report) and the
// collection's.
func (c *Client) DuplicateReportRun(ctx context.Context, workspace, report, run, collection string) (*RunDuplicate, error) {
	p := runDuplicatesPath(workspace, report, run)
	if p.err != nil {
		return nil, p.err
	}
	var q url.Values
	if collection != "" {
		if err := newPath(workspace).tok("collection", collection).err; err != nil {
			return nil, err
		}
		q = url.Values{"collection_id": {collection}}
	}
	if err := c.verifyReportRun(ctx, workspace, report, run); err != nil {
		return nil, err
	}
	extra := []string{listTag(workspace, "reports")}
	if collection != "" {
		extra = append(extra, spaceScopeTag(workspace, collection))
	}
	var d RunDuplicate
	if err := c.writeQuery(ctx, http.MethodPost, p, q, nil, &d, tags(extra...)); err != nil {
		return nil, err
	}
	return &d, nil
}

// GetReportRunDuplicate returns a duplication of a report run:
// GET /api/{workspace}/reports/{report}/runs/{run}/duplicates/{duplicate}. It is not cached
// until it has finished (then for the finished-run TTL). The copy is made after DuplicateReportRun
// dropped the cached report lists: a list cached meanwhile may miss it until it expires; read
// the copy with GetReport(NewReportToken).
func (c *Client) GetReportRunDuplicate(ctx context.Context, workspace, report, run, duplicate string) (*RunDuplicate, error) {
	return getJSON[RunDuplicate](ctx, c, runDuplicatesPath(workspace, report, run).tok("duplicate", duplicate), nil,
		c.duplicatePolicy())
}

// duplicatePolicy caches a duplicate once finished, for the finished-run TTL.
func (c *Client) duplicatePolicy() cachePolicy {
	return func(v any) (time.Duration, []string) {
		if d, _ := v.(*RunDuplicate); d == nil || !d.Finished() {
			return 0, nil
		}
		return c.finishedTTL, nil
	}
}
