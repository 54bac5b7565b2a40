// Command modebench is the load harness of modeplatform: it starts the Mode
// emulator and the service on loopback, drives the service with a connect-go
// client over the Connect and gRPC protocols, and prints one table of
// throughput, latency percentiles, allocations per request, peak memory and
// each scenario's ratio to a baseline measured in the same run (absolute
// figures drift on a shared machine; ratios hold).
//
//	go run ./cmd/modebench -scenario all
//
// Processes. modebench re-executes itself: the Mode emulator is a process of
// its own (package modetest, apart so that its SQLite and its memory do not
// count as the server's; scenarios 2 and 3 share one with latency, scenario 7
// has one holding its generated workspace), the server is one process per
// scenario, per pass in scenario 7 (the services of package service with the
// HTTP server settings, telemetry and interceptors of cmd/modeplatform, plus
// a no-op handler serving as the ceiling of scenario 1 and a minimal proxy
// serving as scenario 2's second baseline), and this process is the client.
// Allocations per request, peak RSS and peak heap are the server process's,
// measured by the server itself between the start and the end of each
// measured block.
//
// Scenarios (-scenario all, or a comma-separated list of numbers or names):
//
//	1 hit       cache-hit GetReport vs a no-op Connect handler returning a
//	            message of the same size on the same server (the ceiling);
//	            -rounds blocks of -n calls from -c callers, alternated
//	2 cold      cold GetReport (Cache-Control: no-cache, a different report
//	            each call) against an emulator with -latency of injected
//	            latency vs a direct REST GET of the same reports, and vs a
//	            minimal Connect proxy of that GET on the same server (the
//	            least any service in front of Mode costs); the server times
//	            its own work per call; -rounds blocks of -cold-n calls from
//	            -cold-c callers (a latency measurement: kept below the CPU's
//	            saturation)
//	3 coalesce  -coalesce concurrent identical cold GetReport calls: exactly
//	            one upstream request, every call answered
//	4 stream    StreamQueryResults and ExportQueryResults (CSV) of a -rows
//	            result vs a raw HTTP download of the same CSV from the emulator;
//	            the server's heap throughout
//	5 cache     -keys distinct keys through a cache bounded at 256 MB (memory
//	            against the cap), and hit latency from 1,000 to -keys entries
//	            vs lookups of the same keys in a bare Go map of the same size
//	            (the memory floor); this one runs in this process: it needs no
//	            server
//	6 list      ListReports paging through -reports reports, cold (no-cache)
//	            and warm, vs paging the same list over REST from the emulator
//	7 inventory every report of a workspace of -generated spaces × reports
//	            (50x200: 10,000 besides the demo's) listed, then GetReport on
//	            -gets of them: through the Metadata API (ListReports of the
//	            workspace, GetReport in the basic view) vs the per-space way
//	            (ListSpaces, ListReports of every space, cold GetReport in the
//	            full view); the Mode requests each pass costs (the emulator's
//	            exact count), their ratio, and the wall time; each pass on a
//	            server of its own (a cold cache), against an emulator of its
//	            own holding the generated workspace
//	8 outside   cache-hit GetReport on cmd/modeplatform as it ships (built
//	            from this tree, default settings, telemetry exporting over
//	            OTLP to a sink in this process that counts the spans) vs a
//	            no-op connect-go handler answering the same message in a
//	            process of its own, driven from outside by the connect-go
//	            client, wrk (Connect JSON over HTTP/1.1) and h2load (gRPC
//	            over h2c): -rounds blocks of -block per driver, alternated;
//	            every success verified; wrk and h2load installed when
//	            missing (scripts/ensure-apt.sh); -server-flag adds flags
//	9 mixed     a mixed load on cmd/modeplatform with a policy of -callers
//	            callers: -rate paced arrivals per second for -duration, 80%
//	            GetReport of -hot reports, 15% ListReports pages, 5%
//	            RunReport and GetReportRun, some runs watched
//	            (WatchReportRun); Mode requests per 1,000 caller calls,
//	            refusals passed to callers, p50/p99 per method
//
// -protocol connect|grpc|both picks the protocols, -json or -markdown the
// output, -cpuprofile and -memprofile write the server's profiles of each
// measured block (see BENCHMARKS.md); -h lists every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// roleEnv selects what a re-executed modebench process is: "emulator",
// "server" or "baseline" (scenario 8's no-op handler). Unset: the harness
// itself.
const roleEnv = "MODEBENCH_ROLE"

func main() {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "modebench:", err)
		os.Exit(1)
	}
}

// runRole runs a re-executed process until its standard input closes.
func runRole(role string, args []string) int {
	var err error
	switch role {
	case "emulator":
		err = runEmulator(args, os.Stdin, os.Stdout, os.Stderr)
	case "server":
		err = runServer(args, os.Stdin, os.Stdout, os.Stderr)
	case "baseline":
		err = runBaseline(args, os.Stdin, os.Stdout, os.Stderr)
	default:
		err = fmt.Errorf("unknown %s %q", roleEnv, role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "modebench %s: %v\n", role, err)
		return 1
	}
	return 0
}

// run is the harness: parse flags, run the scenarios, print the table.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	h := &harness{cfg: cfg, log: stderr}
	defer h.close()
	rep, err := h.runAll(ctx)
	if rep != nil {
		if cfg.json {
			if werr := rep.writeJSON(stdout); werr != nil && err == nil {
				err = werr
			}
		} else if cfg.markdown {
			rep.writeMarkdown(stdout)
		} else {
			rep.writeTable(stdout)
		}
	}
	return err
}
