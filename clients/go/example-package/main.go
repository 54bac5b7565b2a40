// Command example-package runs the demo report "Large Orders by Region" for region West through
// modeplatform with the helper package clients/go/modeplatform, follows the run to its end and
// prints the first rows of its result. Start the server first (go run ./cmd/modeplatform), then:
// go run ./clients/go/example-package
// MODEPLATFORM_ADDR (host:port) overrides the server's address, 127.0.0.1:8080; MODEPLATFORM_KEY,
// when set, is the caller's key.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/clients/go/modeplatform"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

func main() {
	ctx := context.Background()
	var opts []modeplatform.Option // modeplatform.WithGRPC() speaks gRPC instead of the Connect protocol
	if key := os.Getenv("MODEPLATFORM_KEY"); key != "" {
		opts = append(opts, modeplatform.WithKey(key))
	}
	mp := must(modeplatform.New("http://"+cmp.Or(os.Getenv("MODEPLATFORM_ADDR"), "127.0.0.1:8080"), opts...))

	ws := must(mp.Workspaces.GetWorkspace(ctx, connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/parch_and_posey"})))
	fmt.Println("workspace:", ws.Msg.GetWorkspace().GetDisplayName())

	started := must(mp.Reports.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{
		Name:       "workspaces/parch_and_posey/reports/dc63649ea16c", // Large Orders by Region
		Parameters: map[string]string{"region": "West"},
	})))
	run := started.Msg.GetRun()
	for r, err := range mp.FollowRun(ctx, run.GetName()) { // until the run ends
		run = must(r, err)
		fmt.Println("run:", run.GetState())
	}

	queryRuns := must(mp.QueryRuns(ctx, run.GetName()))
	for row, err := range mp.Rows(ctx, queryRuns[0].GetName()) {
		v := must(row, err).Map()
		fmt.Println(v["account"], v["region"], v["total_amt_usd"])
		if row.Offset == 2 {
			break // the first three rows; leaving the loop ends the stream
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
