package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one row of the table: a baseline or a target measured in one
// scenario.
type result struct {
	Scenario    int     `json:"scenario"`
	Name        string  `json:"name"`
	Role        string  `json:"role"`     // "baseline" or "target"
	Protocol    string  `json:"protocol"` // connect, grpc, rest (straight to the emulator), or "-" (in process)
	Requests    int     `json:"requests"`
	Concurrency int     `json:"concurrency"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"requests_per_second"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	// Server process figures over the measured blocks (absent for rows that
	// do not involve the server; scenario 5's are this process's).
	AllocsPerRequest *float64 `json:"allocs_per_request,omitempty"`
	CPUusPerRequest  *float64 `json:"server_cpu_us_per_request,omitempty"`
	PeakRSS          uint64   `json:"peak_rss_bytes,omitempty"`
	PeakRSSSource    string   `json:"peak_rss_source,omitempty"` // "VmHWM" (reset at each block's start) or "VmRSS sampled"
	PeakHeapInuse    uint64   `json:"peak_heap_inuse_bytes,omitempty"`
	// Scenario-specific figures (rows/s, bytes/s, upstream requests, …).
	Extra map[string]float64 `json:"extra,omitempty"`
	// Ratios to the baseline of the same scenario and protocol, measured in
	// the same run.
	Ratios     map[string]float64 `json:"ratios,omitempty"`
	VsBaseline string             `json:"vs_baseline,omitempty"`
	Target     string             `json:"target,omitempty"`
	Met        *bool              `json:"met,omitempty"`
	Checks     []check            `json:"checks,omitempty"` // several targets' verdicts (judgeAll); Met: all held
	FirstError string             `json:"first_error,omitempty"`
}

// check is one of several verdicts on a row.
type check struct {
	Name   string  `json:"name"`   // short, as printed in the table's target column
	Target string  `json:"target"` // what must hold
	Met    bool    `json:"met"`
	Value  float64 `json:"value"`            // the ratio judged
	Detail string  `json:"detail,omitempty"` // the figures behind the verdict, as printed
}

// report is the whole run.
type report struct {
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Machine machine   `json:"machine"`
	Notes   []string  `json:"notes"`
	Results []*result `json:"results"`
}

type machine struct {
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemTotal  string `json:"mem_total,omitempty"`
}

func thisMachine() machine {
	m := machine{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	return m
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// newResult fills a row from a (merged) block.
func newResult(scenario int, name, role, protocol string, c int, b block) *result {
	r := &result{
		Scenario: scenario, Name: name, Role: role, Protocol: protocol,
		Requests: len(b.lat), Concurrency: c, Errors: b.errs,
		Seconds: b.elapsed.Seconds(), RPS: b.rps(),
		P50ms: ms(b.percentile(0.50)), P90ms: ms(b.percentile(0.90)), P99ms: ms(b.percentile(0.99)),
		Extra: map[string]float64{}, Ratios: map[string]float64{},
	}
	if b.firstErr != nil {
		r.FirstError = b.firstErr.Error()
	}
	if st := b.stats; st != nil && len(b.lat) > 0 {
		a := float64(st.Mallocs) / float64(len(b.lat))
		cpu := st.CPUSeconds * 1e6 / float64(len(b.lat))
		r.AllocsPerRequest, r.CPUusPerRequest = &a, &cpu
		r.PeakRSS, r.PeakHeapInuse, r.PeakRSSSource = st.PeakRSS, st.PeakHeap, st.RSSSource
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// judge records whether the row met its target.
func (r *result) judge(target string, met bool) {
	r.Target = target
	r.Met = &met
}

// judgeAll records several verdicts on the row: it met its target if all of
// them held. The table prints each verdict with its figures.
func (r *result) judgeAll(target string, checks ...check) {
	met := true
	for _, c := range checks {
		met = met && c.Met
	}
	r.judge(target, met)
	r.Checks = checks
}

// header is the table's columns.
var header = []string{"#", "scenario", "protocol", "n", "c", "req/s", "p50", "p90", "p99",
	"allocs/req", "srv CPU/req", "srv peak RSS", "srv peak heap", "vs baseline", "target"}

func (r *result) cells() []string {
	opt := func(p *float64, f string) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf(f, *p)
	}
	bytesOr := func(n uint64) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	name := r.Name
	if r.Role == "baseline" {
		name = "baseline: " + name
	}
	if r.Errors > 0 {
		name += fmt.Sprintf(" [%d errors]", r.Errors)
	}
	cpu := "-"
	if r.CPUusPerRequest != nil {
		cpu = durationText(*r.CPUusPerRequest * 1e3)
	}
	target := r.Target
	if len(r.Checks) > 0 {
		verdicts := make([]string, len(r.Checks))
		for i, c := range r.Checks {
			v := "MISSED"
			if c.Met {
				v = "met"
			}
			verdicts[i] = fmt.Sprintf("%s: %s (%s)", c.Name, v, c.Detail)
		}
		target = strings.Join(verdicts, "; ")
	} else if r.Met != nil {
		if *r.Met {
			target = "met: " + target
		} else {
			target = "MISSED: " + target
		}
	}
	return []string{
		fmt.Sprint(r.Scenario), name, r.Protocol, fmt.Sprint(r.Requests), fmt.Sprint(r.Concurrency),
		rateText(r.RPS), durationText(r.P50ms * 1e6), durationText(r.P90ms * 1e6), durationText(r.P99ms * 1e6),
		opt(r.AllocsPerRequest, "%.0f"), cpu, bytesOr(r.PeakRSS), bytesOr(r.PeakHeapInuse),
		orDash(r.VsBaseline), orDash(target),
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// durationText prints nanoseconds with three significant digits.
func durationText(ns float64) string {
	d := time.Duration(ns)
	switch {
	case ns <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%.0fns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", ns/1e6)
	}
	return fmt.Sprintf("%.3gs", ns/1e9)
}

func rateText(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// writeTable prints the table, then the notes.
func (rep *report) writeTable(w io.Writer) {
	fmt.Fprintf(w, "modebench: %s\n", rep.Command)
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, %s/%s, %s; %s, %.0fs\n\n", rep.Machine.CPUs, rep.Machine.CPUModel,
		rep.Machine.MemTotal, rep.Machine.OS, rep.Machine.Arch, rep.Machine.GoVersion,
		rep.Started.UTC().Format(time.RFC3339), rep.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rep.Results {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "- "+n)
	}
}

// writeMarkdown prints the table as Markdown.
func (rep *report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "`%s` — %d CPUs (%s), %s, %s/%s, %s, %s, %.0f s\n\n", rep.Command, rep.Machine.CPUs, rep.Machine.CPUModel,
		rep.Machine.MemTotal, rep.Machine.OS, rep.Machine.Arch, rep.Machine.GoVersion,
		rep.Started.UTC().Format("2006-01-02 15:04 UTC"), rep.Seconds)
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, strings.Repeat("|---", len(header))+"|")
	for _, r := range rep.Results {
		cells := r.cells()
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	fmt.Fprintln(w)
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "- "+n)
	}
}

func (rep *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
