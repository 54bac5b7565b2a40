package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is the harness's settings.
type config struct {
	scenarios []int         // in run order
	protocols []string      // "connect", "grpc"
	c         int           // concurrent callers (scenario 1)
	n         int           // requests per measured block (scenario 1)
	rounds    int           // baseline/target alternations (scenarios 1, 2)
	coalesce  int           // concurrent identical calls (scenario 3)
	rows      int           // result rows (scenario 4)
	streams   int           // downloads per measured block (scenario 4)
	keys      int           // distinct keys (scenario 5)
	reports   int           // extra reports to page through (scenario 6)
	passes    int           // paging passes per measured block (scenario 6)
	pageSize  int           // ListReports page_size (scenario 6)
	generated workspaceSize // the generated workspace (scenario 7)
	gets      int           // GetReport calls per pass (scenario 7)
	latency   time.Duration
	cacheMB   int // the server's cache byte bound, and scenario 5's
	telemetry bool
	json      bool
	markdown  bool
	coldN     int    // requests per measured block (scenario 2)
	coldC     int    // concurrent callers (scenario 2)
	cpuProf   string // path prefix of CPU profiles, one per measured server block
	memProf   string // path prefix of allocation profiles
	verbose   bool
	traces    string // file the servers append their spans to (JSON, one per line), or ""

	block         time.Duration // each measured block of a driver (scenario 8)
	driverThreads int           // wrk's and h2load's threads (scenario 8)
	serverFlags   []string      // more flags of cmd/modeplatform (scenarios 8, 9): none = its defaults
	modeplatform  string        // a cmd/modeplatform binary; "": built from this tree

	duration    time.Duration // the mixed load's length (scenario 9)
	rate        float64       // its calls per second, arrivals paced (scenario 9)
	callers     int           // its distinct callers (scenario 9)
	hot         int           // its hot reports (scenario 9)
	runDuration time.Duration // how long the emulator's runs take (scenario 9)
	watchEvery  int           // every watchEvery-th run is watched (scenario 9)
	watchers    int           // by this many other callers (scenario 9)
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// scenarioNames are the names -scenario accepts besides the numbers.
var scenarioNames = map[string]int{"hit": 1, "cold": 2, "coalesce": 3, "stream": 4, "cache": 5, "list": 6, "inventory": 7, "outside": 8, "mixed": 9}

// lastScenario is the highest scenario number.
const lastScenario = 9

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("modebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "all", `scenarios to run: "all" or a comma-separated list of 1-9 or hit, cold, coalesce, stream, cache, list, inventory, outside, mixed`)
	protocol := fs.String("protocol", "both", "protocol of the calls: connect, grpc or both")
	fs.IntVar(&cfg.c, "c", 32, "concurrent callers (scenario 1)")
	fs.IntVar(&cfg.n, "n", 6000, "requests per measured block (scenario 1)")
	fs.IntVar(&cfg.coldN, "cold-n", 1000, "requests per measured block (scenario 2: each waits -latency upstream)")
	fs.IntVar(&cfg.coldC, "cold-c", 8, "concurrent callers (scenario 2: a latency measurement, kept below the CPU's saturation)")
	fs.IntVar(&cfg.rounds, "rounds", 3, "measured blocks of the baseline and of each target, alternated (scenarios 1, 2)")
	fs.IntVar(&cfg.coalesce, "coalesce", 1000, "concurrent identical cold calls (scenario 3)")
	fs.IntVar(&cfg.rows, "rows", 1_000_000, "rows of the result (scenario 4)")
	fs.IntVar(&cfg.streams, "streams", 1, "downloads per measured block (scenario 4)")
	fs.IntVar(&cfg.keys, "keys", 1_000_000, "distinct keys (scenario 5)")
	fs.IntVar(&cfg.reports, "reports", 10_000, "generated reports to page through (scenario 6)")
	fs.IntVar(&cfg.passes, "passes", 1, "passes through the whole list per measured block (scenario 6)")
	fs.IntVar(&cfg.pageSize, "page-size", 100, "ListReports page_size (scenario 6)")
	cfg.generated = workspaceSize{spaces: 50, reports: 200}
	fs.Var(&cfg.generated, "generated", "the workspace of scenario 7: generated spaces and reports per space, as `SPACESxREPORTS`")
	fs.IntVar(&cfg.gets, "gets", 1000, "GetReport calls after listing the workspace (scenario 7)")
	fs.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "latency the emulator adds to every request (scenarios 2, 3)")
	fs.IntVar(&cfg.cacheMB, "cache-mb", 256, "cache byte bound in MB, the server's default (and scenario 5's cap)")
	fs.BoolVar(&cfg.telemetry, "telemetry", true, "instrument the server as cmd/modeplatform does (tracing without exporter, metrics, access log to a discarded JSON log)")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON instead of a table")
	fs.BoolVar(&cfg.markdown, "markdown", false, "print the table as Markdown")
	fs.StringVar(&cfg.cpuProf, "cpuprofile", "", "write the server's CPU profile of each measured block to `prefix`-<scenario>-<block>-<protocol>.pprof")
	fs.StringVar(&cfg.memProf, "memprofile", "", "write the server's allocation profile of each measured block to `prefix`-<scenario>-<block>-<protocol>.pprof (and a -base.pprof at its start, for pprof -base)")
	fs.BoolVar(&cfg.verbose, "v", false, "progress and the child processes' logs on stderr")
	fs.StringVar(&cfg.traces, "traces", "", "append every span the servers record to `file` (OpenTelemetry's console exporter, one JSON object per span); for reading where a call's time goes, not for the figures: exporting costs CPU")
	fs.DurationVar(&cfg.block, "block", 4*time.Second, "each measured block of a driver, on the baseline and on the server (scenario 8; wrk and h2load round it to whole seconds)")
	fs.IntVar(&cfg.driverThreads, "driver-threads", 2, "threads of wrk and h2load (scenario 8; their connections: -c)")
	fs.Var((*stringList)(&cfg.serverFlags), "server-flag", "a flag of cmd/modeplatform for scenarios 8 and 9, e.g. `--caller-rps=0` (repeatable; none: the server's defaults, the figures to publish)")
	fs.StringVar(&cfg.modeplatform, "modeplatform", "", "the cmd/modeplatform `binary` of scenarios 8 and 9 (default: go build from this tree)")
	fs.DurationVar(&cfg.duration, "duration", time.Minute, "length of the mixed load (scenario 9)")
	fs.Float64Var(&cfg.rate, "rate", 200, "calls per second of the mixed load, paced arrivals (scenario 9)")
	fs.IntVar(&cfg.callers, "callers", 20, "distinct callers of the mixed load, each with its own key (scenario 9)")
	fs.IntVar(&cfg.hot, "hot", 200, "hot reports the mixed load reads (scenario 9)")
	fs.DurationVar(&cfg.runDuration, "run-duration", 2*time.Second, "how long a report run takes at the emulator (scenario 9)")
	fs.IntVar(&cfg.watchEvery, "watch-every", 5, "every n-th run of the mixed load is watched (scenario 9)")
	fs.IntVar(&cfg.watchers, "watchers", 5, "how many other callers watch such a run with WatchReportRun (scenario 9)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if cfg.scenarios, err = parseScenarios(*scenario); err != nil {
		return cfg, err
	}
	switch *protocol {
	case "connect", "grpc":
		cfg.protocols = []string{*protocol}
	case "both":
		cfg.protocols = []string{"connect", "grpc"}
	default:
		return cfg, fmt.Errorf("-protocol %q: want connect, grpc or both", *protocol)
	}
	for _, v := range []struct {
		name string
		v    int
	}{{"c", cfg.c}, {"n", cfg.n}, {"cold-n", cfg.coldN}, {"cold-c", cfg.coldC}, {"rounds", cfg.rounds}, {"coalesce", cfg.coalesce}, {"rows", cfg.rows},
		{"streams", cfg.streams}, {"keys", cfg.keys}, {"reports", cfg.reports}, {"passes", cfg.passes},
		{"page-size", cfg.pageSize}, {"cache-mb", cfg.cacheMB}, {"gets", cfg.gets}, {"driver-threads", cfg.driverThreads},
		{"callers", cfg.callers}, {"hot", cfg.hot}, {"watch-every", cfg.watchEvery}} {
		if v.v < 1 {
			return cfg, fmt.Errorf("-%s must be at least 1", v.name)
		}
	}
	if cfg.block < time.Second || cfg.duration < time.Second {
		return cfg, fmt.Errorf("-block and -duration must be at least 1s")
	}
	if cfg.rate <= 0 || cfg.watchers < 0 || cfg.runDuration < 0 {
		return cfg, fmt.Errorf("-rate must be positive, -watchers and -run-duration not negative")
	}
	if cfg.watchers >= cfg.callers {
		return cfg, fmt.Errorf("-watchers must be fewer than -callers (a run's watchers are other callers)")
	}
	if cfg.pageSize > 1000 {
		return cfg, fmt.Errorf("-page-size must be at most 1000")
	}
	if cfg.generated.spaces < 1 || cfg.generated.reports < 1 {
		return cfg, fmt.Errorf("-generated must name at least 1 space of at least 1 report")
	}
	return cfg, nil
}

// parseScenarios reads -scenario.
func parseScenarios(s string) ([]int, error) {
	if strings.TrimSpace(s) == "all" {
		all := make([]int, lastScenario)
		for i := range all {
			all[i] = i + 1
		}
		return all, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		n, ok := scenarioNames[part]
		if !ok {
			if _, err := fmt.Sscanf(part, "%d", &n); err != nil || n < 1 || n > lastScenario || fmt.Sprint(n) != part {
				return nil, fmt.Errorf("-scenario: unknown scenario %q", part)
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// workspaceSize is a generated workspace's size, SPACESxREPORTS (reports
// per space): the flag -generated of the harness and of the emulator.
type workspaceSize struct{ spaces, reports int }

func (w *workspaceSize) String() string {
	if w == nil || w.spaces == 0 {
		return ""
	}
	return fmt.Sprintf("%dx%d", w.spaces, w.reports)
}

func (w *workspaceSize) Set(s string) error {
	a, b, ok := strings.Cut(s, "x")
	sp, err1 := strconv.Atoi(a)
	rp, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || sp < 0 || rp < 0 {
		return fmt.Errorf("want SPACESxREPORTS, e.g. 50x200, not %q", s)
	}
	w.spaces, w.reports = sp, rp
	return nil
}

// total is how many reports the generated spaces hold.
func (w workspaceSize) total() int { return w.spaces * w.reports }
