package modeclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/modeplatform/modeplatform/modeclient"
	"github.com/modeplatform/modeplatform/modeclient/cache"
	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// A stand-in for Mode with one space of two reports.
func fakeMode() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/acme/spaces/s1/reports", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"_embedded":{"reports":[{"token":"r1","name":"Sales","query_count":"2","account_username":"acme"},{"token":"r2","name":"Churn","query_count":1,"account_username":"acme"}]}}`)
	})
	mux.HandleFunc("/api/acme/reports/r1", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"token":"r1","name":"Sales","account_username":"acme","_links":{"web":{"href":"/acme/reports/r1"}}}`)
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := fakeMode()
	defer srv.Close()
	ch, _ := cache.New(cache.Options{})
	defer ch.Close()
	client, err := modeclient.New(srv.URL, modeclient.Credential{Token: "token", Secret: "secret"}, modeclient.WithCache(ch))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for r, err := range client.ListSpaceReports(ctx, "acme", "s1", nil) {
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Token, r.Name, r.QueryCount)
	}
	ctx = modeclient.WithCallObserver(ctx, func(ci modeclient.CallInfo) {
		fmt.Println(ci.Method, ci.Route, ci.Outcome, "attempts:", ci.Attempts)
	})
	for range 2 {
		r, _ := client.GetReport(ctx, "acme", "r1")
		fmt.Println(client.ResolveURL(r.WebURL()) != "")
	}
	// Output:
	// r1 Sales 2
	// r2 Churn 1
	// GET /api/{workspace}/reports/{report} miss attempts: 1
	// true
	// GET /api/{workspace}/reports/{report} hit attempts: 0
	// true
}

// A service refreshing a dataset and watching the run to its end, then reading the dataset's
// fields (the columns of its result), against the emulator.
func ExampleClient_RunDataset() {
	emu, err := modetest.New(modetest.WithRateLimit(0, 0), modetest.WithRunDuration(time.Millisecond))
	if err != nil {
		panic(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	token, secret := emu.Credentials()
	client, err := modeclient.New(srv.URL, modeclient.Credential{Token: token, Secret: secret})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ws, dataset := modetest.DemoWorkspace, emu.Demo().Datasets[2] // "Channel Events"

	run, err := client.RunDataset(ctx, ws, dataset)
	if err != nil {
		panic(err)
	}
	for !run.Finished() {
		time.Sleep(5 * time.Millisecond)
		if run, err = client.GetDatasetRun(ctx, ws, dataset, run.Token); err != nil {
			panic(err)
		}
	}
	fmt.Println("run", run.RunState())
	for f, err := range client.ListDatasetFields(ctx, ws, dataset, nil) {
		if err != nil {
			panic(err)
		}
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// run succeeded
	// channel string
	// events integer
	// accounts integer
	// first_event datetime
	// last_event datetime
}
