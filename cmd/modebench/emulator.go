package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// emulatorInfo is what the emulator process tells the harness once it
// listens.
type emulatorInfo struct {
	URL    string        `json:"url"`
	Token  string        `json:"token"`
	Secret string        `json:"secret"`
	Demo   modetest.Demo `json:"demo"`
}

// countPath answers how many requests the emulator received:
// GET countPath?method=GET&prefix=/api/… (modetest's CountRequests).
const countPath = "/_modebench/count"

// runEmulator serves the Mode emulator on a loopback port (no rate limit)
// until stdin closes.
func runEmulator(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.Duration("latency", 0, "latency added to every request")
	bigRows := fs.Int("big-rows", 0, "rows of the big_rows table")
	extra := fs.Int("extra-reports", 0, "generated reports in the first space")
	runDuration := fs.Duration("run-duration", 10*time.Millisecond, "how long a report run stays unfinished")
	var gen workspaceSize
	fs.Var(&gen, "generated", "generated spaces and reports per space (modetest.WithGeneratedReports), as `SPACESxREPORTS`: 50x200")
	if err := fs.Parse(args); err != nil {
		return err
	}
	emu, err := modetest.New(
		modetest.WithRateLimit(0, 0),
		modetest.WithLatency(*latency),
		modetest.WithBigRows(*bigRows),
		modetest.WithExtraReports(*extra),
		modetest.WithGeneratedReports(gen.spaces, gen.reports),
		modetest.WithRunDuration(*runDuration),
	)
	if err != nil {
		return err
	}
	defer emu.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+countPath, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		fmt.Fprint(w, strconv.Itoa(emu.CountRequests(q.Get("method"), q.Get("prefix"))))
	})
	mux.Handle("/", emu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	token, secret := emu.Credentials()
	info := emulatorInfo{URL: "http://" + ln.Addr().String(), Token: token, Secret: secret, Demo: emu.Demo()}
	if err := json.NewEncoder(stdout).Encode(info); err != nil {
		return err
	}
	waitForParent(stdin)
	_ = srv.Close()
	return nil
}
