// Command vulncheck judges govulncheck's JSON output (read on stdin) for scripts/test.sh.
//
//	go tool govulncheck -db file://… -format json ./... | go run ./scripts/vulncheck
//
// It lists the vulnerabilities whose vulnerable code this module's code can reach (symbol
// level: govulncheck found a call path) and exits 1 when one of them is in a module we
// require: those we fix by upgrading the module. Vulnerabilities of the standard library are
// fixed by a newer Go, which is the machine's toolchain (GOTOOLCHAIN=local pins it), not the
// module's: they are listed with the Go version that fixes them, and fail the check only with
// -strict (or VULNCHECK_STRICT=1). Vulnerabilities in imported code that is never called are
// counted, not listed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// message is one JSON value of govulncheck's stream (the fields used here).
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		DB             string `json:"db"`
		GoVersion      string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

// vuln is a vulnerability reachable from our code.
type vuln struct {
	id, summary, module, version, fixed string
}

func main() {
	strict := flag.Bool("strict", os.Getenv("VULNCHECK_STRICT") == "1", "fail on standard library vulnerabilities too")
	flag.Parse()
	code, err := judge(os.Stdin, os.Stdout, *strict)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// judge reads the stream, writes its verdict and returns the exit code.
func judge(r io.Reader, w io.Writer, strict bool) (int, error) {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	called := map[string]*vuln{}
	imported := map[string]bool{}
	goVersion, db := "", ""
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, fmt.Errorf("reading govulncheck's JSON: %w", err)
		}
		switch {
		case m.Config != nil:
			goVersion, db = m.Config.GoVersion, m.Config.DB
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			if f.Trace[0].Function == "" {
				imported[f.OSV] = true // imported or required, but never called
				continue
			}
			called[f.OSV] = &vuln{id: f.OSV, module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion}
		}
	}
	if goVersion == "" {
		return 0, errors.New("no config message: is this govulncheck -format json output?")
	}
	var mods, std []*vuln
	for id, v := range called {
		v.summary = summaries[id]
		delete(imported, id)
		if v.module == "stdlib" || v.module == "toolchain" {
			std = append(std, v)
		} else {
			mods = append(mods, v)
		}
	}
	sortVulns(mods)
	sortVulns(std)
	fmt.Fprintf(w, "govulncheck against %s, %s: %d reachable in modules, %d reachable in the standard library, %d more imported but not called\n",
		db, goVersion, len(mods), len(std), len(imported))
	for _, v := range mods {
		fmt.Fprintf(w, "  %s %s@%s: fixed in %s — %s\n", v.id, v.module, v.version, v.fixed, v.summary)
	}
	if len(std) > 0 {
		need := ""
		for _, v := range std {
			need = maxGo(need, v.fixed)
		}
		fmt.Fprintf(w, "standard library of %s (needs Go %s; the toolchain is the machine's):\n", goVersion, strings.TrimPrefix(need, "v"))
		for _, v := range std {
			fmt.Fprintf(w, "  %s: fixed in %s — %s\n", v.id, v.fixed, v.summary)
		}
	}
	switch {
	case len(mods) > 0:
		fmt.Fprintln(w, "FAIL: upgrade the modules above")
		return 1, nil
	case len(std) > 0 && strict:
		fmt.Fprintln(w, "FAIL (strict): upgrade Go")
		return 1, nil
	case len(std) > 0:
		fmt.Fprintln(w, "ok for the modules; WARNING: upgrade Go for the standard library (VULNCHECK_STRICT=1 makes this fail)")
	default:
		fmt.Fprintln(w, "ok: no reachable vulnerability")
	}
	return 0, nil
}

func sortVulns(vs []*vuln) { sort.Slice(vs, func(i, j int) bool { return vs[i].id < vs[j].id }) }

// maxGo returns the later of two Go versions such as "v1.26.10" (by numeric parts).
func maxGo(a, b string) string {
	if a == "" {
		return b
	}
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		fmt.Sscanf(pa[i], "%d", &x)
		fmt.Sscanf(pb[i], "%d", &y)
		if x != y {
			if x > y {
				return a
			}
			return b
		}
	}
	if len(pa) >= len(pb) {
		return a
	}
	return b
}
