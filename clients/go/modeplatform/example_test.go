package modeplatform_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"connectrpc.com/connect"

	"github.com/modeplatform/modeplatform/clients/go/modeplatform"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// Runs the demo report "Large Orders by Region" for region West, follows the run to its end and
// prints the first rows of its result. The server's address and the caller's key come from the
// environment.
func Example() {
	ctx := context.Background()
	c, err := modeplatform.New("http://"+os.Getenv("MODEPLATFORM_ADDR"), modeplatform.WithKey(os.Getenv("MODEPLATFORM_KEY")))
	if err != nil {
		log.Fatal(err)
	}

	started, err := c.Reports.RunReport(ctx, connect.NewRequest(&modeplatformv1.RunReportRequest{
		Name:       "workspaces/parch_and_posey/reports/dc63649ea16c", // Large Orders by Region
		Parameters: map[string]string{"region": "West"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	run, err := c.WaitRun(ctx, started.Msg.GetRun().GetName())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("run:", run.GetState())

	queryRuns, err := c.QueryRuns(ctx, run.GetName())
	if err != nil {
		log.Fatal(err)
	}
	for row, err := range c.Rows(ctx, queryRuns[0].GetName()) {
		if err != nil {
			log.Fatal(err)
		}
		account, _ := row.Get("account")
		usd, _ := row.Get("total_amt_usd")
		fmt.Println(account, usd)
		if row.Offset == 2 {
			break // the first three rows
		}
	}
	// Output:
	// run: STATE_SUCCEEDED
	// Pfizer Systems 38940.04
	// McKesson Group 38785.52
	// Caterpillar Financial 37528.34
}
