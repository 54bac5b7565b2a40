// Command example runs the demo report "Large Orders by Region" for region West through
// modeplatform with the generated Connect client, follows the run to its end and prints the first
// rows of its result. Start the server first (go run ./cmd/modeplatform), then:
// go run ./clients/go/example
// MODEPLATFORM_ADDR (host:port) overrides the server's address, 127.0.0.1:8080.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

func main() {
	ctx := context.Background()
	baseURL := "http://" + cmp.Or(os.Getenv("MODEPLATFORM_ADDR"), "127.0.0.1:8080")
	// The Connect protocol over HTTP/1.1. For gRPC: connect.WithGRPC() and an HTTP/2 client,
	// &http.Client{Transport: &http.Transport{Protocols: p}} with p.SetUnencryptedHTTP2(true).
	workspaces := modeplatformv1connect.NewWorkspaceServiceClient(http.DefaultClient, baseURL)
	reports := modeplatformv1connect.NewReportServiceClient(http.DefaultClient, baseURL)

	ws := must(workspaces.GetWorkspace(ctx, connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/parch_and_posey"})))
	fmt.Println("workspace:", ws.Msg.GetWorkspace().GetDisplayName())

	run := must(reports.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{
		Name:       "workspaces/parch_and_posey/reports/dc63649ea16c", // Large Orders by Region
		Parameters: map[string]string{"region": "West"},
	}))).Msg.GetRun()
	watch := must(reports.WatchReportRun(ctx, connect.NewRequest(&modeplatformv1.WatchReportRunRequest{Name: run.GetName()})))
	for watch.Receive() { // until the run ends
		run = watch.Msg().GetRun()
		fmt.Println("run:", run.GetState())
	}
	check(watch.Err())

	queryRuns := must(reports.ListQueryRuns(ctx, connect.NewRequest(&modeplatformv1.ListQueryRunsRequest{Parent: run.GetName()})))
	results := must(reports.StreamQueryResults(ctx, connect.NewRequest(&modeplatformv1.StreamQueryResultsRequest{
		Name: queryRuns.Msg.GetQueryRuns()[0].GetName(), MaxRowsPerBatch: 3,
	})))
	defer results.Close()
	for shown := 0; shown < 3 && results.Receive(); { // the columns come first, then the rows
		for _, row := range results.Msg().GetRows() {
			v := row.GetValues() // order_id, account, region, occurred_at, total, total_amt_usd
			fmt.Println(v[1].GetStringValue(), v[2].GetStringValue(), v[5].GetNumberValue())
			shown++
		}
	}
	check(results.Err())
}

func must[T any](v T, err error) T {
	check(err)
	return v
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
