package service_test

import (
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// TestDatasetEndToEnd walks a dataset over a real server, over each protocol: it is listed in
// its space and by its data source, its lineage names the reports built on it, a run started
// once per request_id is watched to success, its fields match the columns of the run's result
// (read through the run's report run), and a field description written shows in the fields;
// update and delete follow.
func TestDatasetEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := testContext(t)
			c := e.clients(p)
			dataset := e.ws + "/datasets/" + e.demo.Datasets[1] // Monthly Revenue by Region, in Sales
			got, err := c.dts.GetDataset(ctx, connect.NewRequest(&modeplatformv1.GetDatasetRequest{Name: dataset}))
			if err != nil {
				t.Fatalf("GetDataset: %v", err)
			}
			d := got.Msg.GetDataset()
			if d.GetName() != dataset || d.GetDisplayName() != "Monthly Revenue by Region" || d.GetSpace() != e.spaceName(e.demo.Spaces[0]) || d.GetCreateTime() == nil {
				t.Fatalf("dataset = %v", d)
			}
			for _, parent := range []string{e.spaceName(e.demo.Spaces[0]), e.dataSourceName()} {
				list, err := c.dts.ListDatasets(ctx, connect.NewRequest(&modeplatformv1.ListDatasetsRequest{Parent: parent, OrderBy: "create_time"}))
				if err != nil || !slices.ContainsFunc(list.Msg.GetDatasets(), func(x *modeplatformv1.Dataset) bool { return x.GetName() == dataset }) {
					t.Fatalf("ListDatasets(%s) = %v, %v; want %s in it", parent, list, err, dataset)
				}
			}
			lineage, err := c.dts.ListDatasetReports(ctx, connect.NewRequest(&modeplatformv1.ListDatasetReportsRequest{Name: dataset}))
			if err != nil {
				t.Fatalf("ListDatasetReports: %v", err)
			}
			var users []string
			for _, r := range lineage.Msg.GetReports() {
				users = append(users, r.GetName())
			}
			if !slices.Contains(users, e.reportName(e.demo.Reports[0])) || !slices.Contains(users, e.reportName(e.demo.Reports[2])) {
				t.Fatalf("lineage = %v, want Reports[0] and Reports[2]", users)
			}

			req := &modeplatformv1.RunDatasetRequest{Name: dataset, RequestId: "ds-run-" + p.name}
			started, err := c.dts.RunDataset(ctx, connect.NewRequest(req))
			if err != nil {
				t.Fatalf("RunDataset: %v", err)
			}
			run := started.Msg.GetRun()
			if !strings.HasPrefix(run.GetName(), dataset+"/runs/") {
				t.Fatalf("run = %v", run)
			}
			if again, err := c.dts.RunDataset(ctx, connect.NewRequest(req)); err != nil || again.Msg.GetRun().GetName() != run.GetName() {
				t.Fatalf("RunDataset retried = %v, %v; want %s", again, err, run.GetName())
			}
			stream, err := c.dts.WatchDatasetRun(ctx, connect.NewRequest(&modeplatformv1.WatchDatasetRunRequest{Name: run.GetName()}))
			if err != nil {
				t.Fatalf("WatchDatasetRun: %v", err)
			}
			var last *modeplatformv1.DatasetRun
			for stream.Receive() {
				last = stream.Msg().GetRun()
			}
			if err := stream.Err(); err != nil || last.GetState() != modeplatformv1.DatasetRun_STATE_SUCCEEDED || last.GetCompleteTime() == nil || !last.GetLatest() {
				t.Fatalf("the watch ended with %v, %v; want a succeeded latest run", last, err)
			}
			if runs, err := c.dts.ListDatasetRuns(ctx, connect.NewRequest(&modeplatformv1.ListDatasetRunsRequest{Parent: dataset})); err != nil || runs.Msg.GetRuns()[0].GetName() != run.GetName() {
				t.Fatalf("ListDatasetRuns = %v, %v; want %s first", runs, err, run.GetName())
			}

			// The run's result, through its report run, has the dataset's fields as columns.
			if last.GetReportRun() == "" {
				t.Fatalf("the run names no report run: %v", last)
			}
			qruns, err := c.rs.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: last.GetReportRun()}))
			if err != nil || len(qruns.Msg.GetQueryRuns()) != 1 {
				t.Fatalf("ListQueryRuns(%s) = %v, %v", last.GetReportRun(), qruns, err)
			}
			results, err := c.rs.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{Name: qruns.Msg.GetQueryRuns()[0].GetName()}))
			if err != nil {
				t.Fatalf("StreamQueryResults: %v", err)
			}
			var columns []*modeplatformv1.Column
			rows := 0
			for results.Receive() {
				if cs := results.Msg().GetColumns(); len(cs) > 0 {
					columns = cs
				}
				rows += len(results.Msg().GetRows())
			}
			if err := results.Err(); err != nil || rows == 0 {
				t.Fatalf("results: %d rows, %v", rows, err)
			}
			fields, err := c.dts.ListDatasetFields(ctx, connect.NewRequest(&modeplatformv1.ListDatasetFieldsRequest{Parent: dataset}))
			if err != nil {
				t.Fatalf("ListDatasetFields: %v", err)
			}
			if len(fields.Msg.GetFields()) != len(columns) {
				t.Fatalf("%d fields, %d result columns", len(fields.Msg.GetFields()), len(columns))
			}
			for j, f := range fields.Msg.GetFields() {
				if f.GetColumn() != columns[j].GetName() || (columns[j].GetType() != modeplatformv1.Column_TYPE_UNSPECIFIED && f.GetType() != columns[j].GetType()) {
					t.Errorf("field %d = %s %v (%s), result column %s %v", j, f.GetColumn(), f.GetType(), f.GetModeType(), columns[j].GetName(), columns[j].GetType())
				}
			}

			// A description per protocol on its own column (one description per field).
			column := fields.Msg.GetFields()[i%len(columns)].GetColumn()
			created, err := c.dts.CreateFieldDescription(ctx, connect.NewRequest(&modeplatformv1.CreateFieldDescriptionRequest{
				Parent: dataset, RequestId: "fd-" + p.name,
				FieldDescription: &modeplatformv1.FieldDescription{Column: column, Description: "Described over " + p.name},
			}))
			if err != nil {
				t.Fatalf("CreateFieldDescription: %v", err)
			}
			fd := created.Msg.GetFieldDescription()
			if !strings.HasPrefix(fd.GetName(), dataset+"/fieldDescriptions/") || fd.GetColumn() != column {
				t.Fatalf("description = %v", fd)
			}
			described := func() *modeplatformv1.DatasetField {
				t.Helper()
				fields, err := c.dts.ListDatasetFields(ctx, connect.NewRequest(&modeplatformv1.ListDatasetFieldsRequest{Parent: dataset}))
				if err != nil {
					t.Fatalf("ListDatasetFields: %v", err)
				}
				for _, f := range fields.Msg.GetFields() {
					if f.GetColumn() == column {
						return f
					}
				}
				t.Fatalf("no field %s", column)
				return nil
			}
			if f := described(); f.GetDescription() != "Described over "+p.name || f.GetFieldDescription() != fd.GetName() {
				t.Fatalf("field after the description = %v", f)
			}
			if _, err := c.dts.UpdateFieldDescription(ctx, connect.NewRequest(&modeplatformv1.UpdateFieldDescriptionRequest{
				FieldDescription: &modeplatformv1.FieldDescription{Name: fd.GetName(), Description: "Changed"},
				UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"description"}},
			})); err != nil {
				t.Fatalf("UpdateFieldDescription: %v", err)
			}
			if f := described(); f.GetDescription() != "Changed" {
				t.Fatalf("field after the update = %v", f)
			}
			if _, err := c.dts.DeleteFieldDescription(ctx, connect.NewRequest(&modeplatformv1.DeleteFieldDescriptionRequest{Name: fd.GetName()})); err != nil {
				t.Fatalf("DeleteFieldDescription: %v", err)
			}
			if f := described(); f.GetDescription() != "" || f.GetFieldDescription() != "" {
				t.Fatalf("field after the delete = %v", f)
			}
		})
	}
}

// TestDatasetWrites: a dataset's title changes and shows on the next read; a deleted dataset is
// gone from its space and from the lineage of the reports that used it; its schedules are listed
// under its name.
func TestDatasetWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	c := e.clients(protocols[0])
	dataset := e.ws + "/datasets/" + e.demo.Datasets[2]

	scheds, err := c.rs.ListSchedules(ctx, connect.NewRequest(&modeplatformv1.ListSchedulesRequest{Parent: e.ws + "/datasets/" + e.demo.Datasets[1]}))
	if err != nil || len(scheds.Msg.GetSchedules()) != 1 {
		t.Fatalf("ListSchedules of a dataset = %v, %v", scheds, err)
	}
	sched := scheds.Msg.GetSchedules()[0]
	if sched.GetName() != e.ws+"/datasets/"+e.demo.Datasets[1]+"/schedules/"+e.demo.DatasetSchedule || sched.GetCron().GetFrequency() != modeplatformv1.Cron_FREQUENCY_DAILY {
		t.Fatalf("dataset schedule = %v", sched)
	}
	if got, err := c.rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: sched.GetName()})); err != nil || got.Msg.GetSchedule().GetName() != sched.GetName() {
		t.Fatalf("GetSchedule(%s) = %v, %v", sched.GetName(), got, err)
	}
	if _, err := c.rs.GetSchedule(ctx, connect.NewRequest(&modeplatformv1.GetScheduleRequest{Name: e.ws + "/datasets/" + e.demo.Datasets[1] + "/schedules/000000000000"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetSchedule of a missing dataset schedule: %v, want NotFound", err)
	}

	upd, err := c.dts.UpdateDataset(ctx, connect.NewRequest(&modeplatformv1.UpdateDatasetRequest{
		Dataset:    &modeplatformv1.Dataset{Name: dataset, DisplayName: "Channel events (daily)", Description: "ignored"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}))
	if err != nil || upd.Msg.GetDataset().GetDisplayName() != "Channel events (daily)" {
		t.Fatalf("UpdateDataset = %v, %v", upd, err)
	}
	if got, err := c.dts.GetDataset(ctx, connect.NewRequest(&modeplatformv1.GetDatasetRequest{Name: dataset})); err != nil || got.Msg.GetDataset().GetDisplayName() != "Channel events (daily)" {
		t.Fatalf("GetDataset after the update = %v, %v", got, err)
	}
	if _, err := c.dts.DeleteDataset(ctx, connect.NewRequest(&modeplatformv1.DeleteDatasetRequest{Name: dataset})); err != nil {
		t.Fatalf("DeleteDataset: %v", err)
	}
	if _, err := c.dts.GetDataset(ctx, connect.NewRequest(&modeplatformv1.GetDatasetRequest{Name: dataset})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetDataset after the delete: %v, want NotFound", err)
	}
	list, err := c.dts.ListDatasets(ctx, connect.NewRequest(&modeplatformv1.ListDatasetsRequest{Parent: e.spaceName(e.demo.Spaces[1])}))
	if err != nil || slices.ContainsFunc(list.Msg.GetDatasets(), func(x *modeplatformv1.Dataset) bool { return x.GetName() == dataset }) {
		t.Fatalf("ListDatasets after the delete = %v, %v", list, err)
	}
}

// TestDatasetInvalidInput: bad dataset requests get InvalidArgument naming the field and never
// reach Mode; a dataset of another workspace is not found.
func TestDatasetInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	ctx := testContext(t)
	c := e.clients(protocols[0])
	dataset := e.ws + "/datasets/" + e.demo.Datasets[0]
	before := e.upstream()
	for _, tt := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"dataset name with a dot", func() error {
			_, err := c.dts.GetDataset(ctx, connect.NewRequest(&modeplatformv1.GetDatasetRequest{Name: e.ws + "/datasets/a.b"}))
			return err
		}, "name"},
		{"datasets of a workspace", func() error {
			_, err := c.dts.ListDatasets(ctx, connect.NewRequest(&modeplatformv1.ListDatasetsRequest{Parent: e.ws}))
			return err
		}, "parent"},
		{"order by name", func() error {
			_, err := c.dts.ListDatasets(ctx, connect.NewRequest(&modeplatformv1.ListDatasetsRequest{Parent: e.spaceName(e.demo.Spaces[0]), OrderBy: "name"}))
			return err
		}, "order_by"},
		{"page size too big", func() error {
			_, err := c.dts.ListDatasetRuns(ctx, connect.NewRequest(&modeplatformv1.ListDatasetRunsRequest{Parent: dataset, PageSize: 1001}))
			return err
		}, "page_size"},
		{"blank title", func() error {
			_, err := c.dts.UpdateDataset(ctx, connect.NewRequest(&modeplatformv1.UpdateDatasetRequest{
				Dataset: &modeplatformv1.Dataset{Name: dataset, DisplayName: " "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}))
			return err
		}, ""},
		{"description of no column", func() error {
			_, err := c.dts.CreateFieldDescription(ctx, connect.NewRequest(&modeplatformv1.CreateFieldDescriptionRequest{
				Parent: dataset, FieldDescription: &modeplatformv1.FieldDescription{Description: "x"}}))
			return err
		}, "field_description"},
		{"updating a dataset schedule", func() error {
			_, err := c.rs.UpdateSchedule(ctx, connect.NewRequest(&modeplatformv1.UpdateScheduleRequest{
				Schedule:   &modeplatformv1.Schedule{Name: e.ws + "/datasets/" + e.demo.Datasets[1] + "/schedules/" + e.demo.DatasetSchedule, DisplayName: "x"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}))
			return err
		}, "schedule.name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if connect.CodeOf(err) != connect.CodeInvalidArgument || (tt.field != "" && badRequestField(err) != tt.field) {
				t.Fatalf("%v (field %q), want InvalidArgument naming %q", err, badRequestField(err), tt.field)
			}
		})
	}
	if n := e.upstream() - before; n != 0 {
		t.Errorf("%d requests reached Mode for refused requests", n)
	}
	other := e.ws + "/datasets/" + e.demo.Second.Dataset
	if _, err := c.dts.GetDataset(ctx, connect.NewRequest(&modeplatformv1.GetDatasetRequest{Name: other})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("GetDataset of another workspace's dataset under this one: %v, want NotFound", err)
	}
	// A field description on a column the dataset does not have is Mode's 400.
	_, err := c.dts.CreateFieldDescription(ctx, connect.NewRequest(&modeplatformv1.CreateFieldDescriptionRequest{
		Parent: dataset, FieldDescription: &modeplatformv1.FieldDescription{Column: "no_such_column", Description: "x"}}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("CreateFieldDescription on a missing column: %v, want InvalidArgument", err)
	}
}
