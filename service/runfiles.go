package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// What a report takes and what a run makes, beyond the run itself:
// GetReportParameters (the report's form), DuplicateReportRun and
// GetReportRunDuplicate (a copy of the report as it was in a run), and
// ExportReportRun (the run as one file: a PDF, or the results of all its
// queries).

// GetReportParameters returns the parameters a report takes: the form of its
// last run (Mode gives a form only for a run).
func (s *ReportServer) GetReportParameters(ctx context.Context, req *connect.Request[modeplatformv1.GetReportParametersRequest]) (*connect.Response[modeplatformv1.GetReportParametersResponse], error) {
	name := req.Msg.GetName()
	w, r, err := parseReportName("name", name)
	if err != nil {
		return nil, err
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	form, err := cl.GetReportParameters(ctx, w, r)
	if err != nil {
		return nil, reportFormError(err, name)
	}
	return connect.NewResponse(reportParametersFromMode(w, r, form)), nil
}

// reportFormError maps an error reading a report's form: a report that never
// ran has none to read.
func reportFormError(err error, name string) error {
	if errors.Is(err, modeclient.ErrNeverRun) {
		e := connect.NewError(connect.CodeFailedPrecondition, errorf("report %s has never run: Mode gives a report's parameters for a run; run it once", name))
		errdetail.AddInfo(e, ReasonReportNeverRun, map[string]string{"report": name})
		return e
	}
	return upstreamError(err, name)
}

// reportParametersFromMode translates the form of a run of report r.
func reportParametersFromMode(w, r string, form *modeclient.RunOptions) *modeplatformv1.GetReportParametersResponse {
	out := &modeplatformv1.GetReportParametersResponse{}
	if href := form.Links.Href("report_run"); href != "" {
		if run := href[strings.LastIndex(href, "/")+1:]; modeclient.ValidToken(run) {
			out.Run = runName(w, r, run)
		}
	}
	for _, f := range form.FormFields {
		p := &modeplatformv1.ReportParameter{
			Name: f.Name, Type: string(f.Type), Label: string(f.Label), Description: string(f.Description),
			DefaultValue: f.DefaultString(), HasDefault: f.HasDefault(),
			AllowedValuesError: string(f.OptionsError),
		}
		for _, o := range f.Options {
			p.AllowedValues = append(p.AllowedValues, &modeplatformv1.ReportParameter_AllowedValue{Label: o.Label, Value: o.Value})
		}
		out.Parameters = append(out.Parameters, p)
	}
	return out
}

// checkRunParameters refuses, before a run is started, parameters a report
// with parameters does not take (a misspelt name): Mode would ignore them
// and run with the defaults, which is rarely what the caller meant. The
// report's form is read through the cache (GetReportParameters). A report
// that never ran has no form to check against, and a report whose form is
// empty takes no parameters at all (Mode ignores any): both run as asked.
func checkRunParameters(ctx context.Context, cl *modeclient.Client, w, r, name string, params map[string]string) error {
	if len(params) == 0 {
		return nil
	}
	form, err := cl.GetReportParameters(ctx, w, r)
	if errors.Is(err, modeclient.ErrNeverRun) {
		return nil
	}
	if err != nil {
		return upstreamError(err, name)
	}
	if len(form.FormFields) == 0 {
		return nil
	}
	known := make([]string, 0, len(form.FormFields))
	for _, f := range form.FormFields {
		known = append(known, f.Name)
	}
	var unknown []string
	for k := range params {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	reason := fmt.Sprintf("the report takes only %s; not %s", strings.Join(known, ", "), strings.Join(unknown, ", "))
	e := connect.NewError(connect.CodeInvalidArgument, errorf("parameters: %s", reason))
	for _, k := range unknown {
		errdetail.AddBadRequest(e, "parameters["+strconv.Quote(k)+"]", "is not a parameter of the report ("+reason+")")
	}
	return e
}

// DuplicateReportRun asks Mode to copy a report as it was in a run. A
// request_id makes it safe to retry.
func (s *ReportServer) DuplicateReportRun(ctx context.Context, req *connect.Request[modeplatformv1.DuplicateReportRunRequest]) (*connect.Response[modeplatformv1.DuplicateReportRunResponse], error) {
	m := req.Msg
	if err := validated(m); err != nil {
		return nil, err
	}
	name := m.GetName()
	ids, err := parseName("name", name, patRun)
	if err != nil {
		return nil, err
	}
	w, r, run := ids[0], ids[1], ids[2]
	space := ""
	if m.GetSpace() != "" {
		sids, err := parseName("space", m.GetSpace(), patSpace)
		if err != nil {
			return nil, err
		}
		if sids[0] != w {
			return nil, invalidArgument("space", "must be a space of the run's workspace "+strconv.Quote(w))
		}
		space = sids[1]
	}
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx, s.core.creates, "DuplicateReportRun\x00"+w, m.GetRequestId(), requestFingerprint("DuplicateReportRun", name, space),
		func(ctx context.Context) (*modeplatformv1.DuplicateReportRunResponse, error) {
			d, err := cl.DuplicateReportRun(ctx, w, r, run, space)
			if err != nil {
				return nil, upstreamError(err, name)
			}
			return &modeplatformv1.DuplicateReportRunResponse{Duplicate: duplicateFromMode(w, r, run, d)}, nil
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// GetReportRunDuplicate returns a duplication of a run.
func (s *ReportServer) GetReportRunDuplicate(ctx context.Context, req *connect.Request[modeplatformv1.GetReportRunDuplicateRequest]) (*connect.Response[modeplatformv1.GetReportRunDuplicateResponse], error) {
	d, err := getOf(ctx, s.core, req.Msg, patDuplicate,
		func(ctx context.Context, cl *modeclient.Client, ids []string) (*modeclient.RunDuplicate, error) {
			return cl.GetReportRunDuplicate(ctx, ids[0], ids[1], ids[2], ids[3])
		},
		func(_ *modeclient.Client, ids []string, d *modeclient.RunDuplicate) *modeplatformv1.ReportRunDuplicate {
			return duplicateFromMode(ids[0], ids[1], ids[2], d)
		})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&modeplatformv1.GetReportRunDuplicateResponse{Duplicate: d}), nil
}

// duplicateFromMode translates a duplication of run of report r.
func duplicateFromMode(w, r, run string, d *modeclient.RunDuplicate) *modeplatformv1.ReportRunDuplicate {
	out := &modeplatformv1.ReportRunDuplicate{
		Name:         duplicateName(w, r, run, d.Token),
		State:        d.State,
		CreateTime:   timestamp(d.CreatedAt),
		CompleteTime: timestamp(d.CompletedAt),
	}
	if t := string(d.NewReportToken); modeclient.ValidToken(t) {
		out.NewReport = reportName(w, t)
	}
	if t := string(d.CollectionToken); modeclient.ValidToken(t) {
		out.Space = spaceName(w, t)
	}
	return out
}

// ExportReportRun streams a succeeded run as one file: Mode's PDF of the
// report, or the results of all its queries. The file is read from Mode from
// the request's offset on (an HTTP Range request; when Mode sends the whole
// file instead, the bytes before the offset are read and dropped), and cut
// files end the stream as ExportQueryResults' do, with resume_offset.
func (s *ReportServer) ExportReportRun(ctx context.Context, req *connect.Request[modeplatformv1.ExportReportRunRequest], stream *connect.ServerStream[modeplatformv1.ExportReportRunResponse]) error {
	m := req.Msg
	if err := validated(m); err != nil {
		return err
	}
	name := m.GetName()
	w, r, run, err := parseReportRunName("name", name)
	if err != nil {
		return err
	}
	offset := m.GetOffset()
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, w)
	if err != nil {
		return err
	}
	if err := requireRunSucceeded(ctx, cl, w, r, run, name); err != nil {
		return sc.fail(err, offset)
	}
	open := func(opts *modeclient.DownloadOptions) (*modeclient.Download, error) {
		switch m.GetFormat() {
		case modeplatformv1.ExportReportRunRequest_FORMAT_PDF:
			return cl.DownloadReportRunPDF(ctx, w, r, run, opts)
		case modeplatformv1.ExportReportRunRequest_FORMAT_JSON:
			return cl.DownloadReportRunResults(ctx, w, r, run, modeclient.ResultsJSON, opts)
		default:
			return cl.DownloadReportRunResults(ctx, w, r, run, modeclient.ResultsCSV, opts)
		}
	}
	dl, err := open(&modeclient.DownloadOptions{Offset: offset})
	var api *modeclient.APIError
	if offset > 0 && errors.As(err, &api) && api.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		dl, err = open(nil) // at or past the end: read the whole file to tell which
	}
	if err != nil {
		return sc.fail(withResumeOffset(upstreamError(err, name), offset), offset)
	}
	defer dl.Body.Close()

	first := &modeplatformv1.ExportReportRunResponse{ContentType: dl.ContentType, FileName: exportFileName(dl, r, m.GetFormat())}
	if err := sc.send(func() error { return stream.Send(first) }); err != nil {
		return sc.fail(err, offset)
	}
	ex := &exportStream{
		body: dl.Body, name: name, json: dl.ContentType == "application/json",
		read: dl.Offset, sent: offset,
		send: func(data []byte) error {
			return sc.send(func() error { return stream.Send(&modeplatformv1.ExportReportRunResponse{Data: data}) })
		},
	}
	if err := ex.run(offset, s.core.opts.ExportChunkBytes); err != nil {
		return sc.fail(err, ex.sent)
	}
	return nil
}

// exportFileName is Mode's name for the file, or one made of the report's
// token and the file's kind.
func exportFileName(dl *modeclient.Download, report string, f modeplatformv1.ExportReportRunRequest_Format) string {
	if dl.FileName != "" {
		return dl.FileName
	}
	switch {
	case f == modeplatformv1.ExportReportRunRequest_FORMAT_PDF:
		return report + ".pdf"
	case dl.ContentType == "application/zip":
		return report + ".zip"
	case f == modeplatformv1.ExportReportRunRequest_FORMAT_JSON:
		return report + ".json"
	}
	return report + ".csv"
}

// requireRunSucceeded checks that a report run has succeeded: a run not
// finished, or ended otherwise, has no file to export (FailedPrecondition).
func requireRunSucceeded(ctx context.Context, cl *modeclient.Client, w, r, run, name string) error {
	rr, err := cl.GetReportRun(ctx, w, r, run)
	if err != nil {
		return upstreamError(err, name)
	}
	state := reportRunStateFromMode(rr.State)
	switch {
	case state == modeplatformv1.ReportRun_STATE_SUCCEEDED || state == modeplatformv1.ReportRun_STATE_COMPLETED:
		return nil
	case !modeclient.ParseRunState(rr.State).Terminal():
		e := connect.NewError(connect.CodeFailedPrecondition, errorf("run %s has not finished (state %q): wait for it to end", name, rr.State))
		errdetail.AddInfo(e, ReasonRunNotFinished, map[string]string{"run": name, "state": rr.State})
		return e
	}
	e := connect.NewError(connect.CodeFailedPrecondition, errorf("run %s ended without results (state %q)", name, rr.State))
	errdetail.AddInfo(e, ReasonRunFailed, map[string]string{"run": name, "state": rr.State})
	return e
}
