package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// blockStats is what the server measured of itself over one measured block.
type blockStats struct {
	Mallocs    uint64  `json:"mallocs"`         // runtime.MemStats.Mallocs delta: the whole server process
	CPUSeconds float64 `json:"cpu_seconds"`     // user+system CPU time of the server process
	PeakHeap   uint64  `json:"peak_heap_inuse"` // highest HeapInuse sampled (every 5 ms), bytes
	PeakRSS    uint64  `json:"peak_rss"`        // VmHWM after a reset at the start, or the highest VmRSS sampled
	RSSSource  string  `json:"rss_source"`      // "VmHWM" or "VmRSS sampled"
	// ServerMs is each RPC's time in the server (its ServeHTTP), OwnMs the
	// same less the upstream requests made for it (requestTimer).
	ServerMs []float64 `json:"server_ms,omitempty"`
	OwnMs    []float64 `json:"own_ms,omitempty"`
}

// heapInuseMetrics add up to MemStats.HeapInuse, read without stopping the world.
var heapInuseMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// sampler measures one block: allocation count, CPU time, peak heap and
// peak RSS, and optionally profiles it.
type sampler struct {
	start     runtime.MemStats
	startCPU  float64
	hwmReset  bool
	stop      chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	peakHeap  uint64
	peakRSS   uint64
	cpuFile   *os.File
	memPath   string
	profError error
}

// startSampler begins a block. cpuPath and memPath, when set, receive its
// CPU profile and its allocation profile (memPath also gets a -base profile
// now, so pprof -base shows this block's allocations alone).
func startSampler(cpuPath, memPath string) (*sampler, error) {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{}), memPath: memPath}
	if memPath != "" {
		if err := writeAllocs(baseProfilePath(memPath)); err != nil {
			return nil, err
		}
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		s.cpuFile = f
	}
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
	s.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	s.startCPU = cpuSeconds()
	// Each block's heap starts collected: the garbage an earlier block
	// left must not count in this one's peak.
	runtime.GC()
	runtime.ReadMemStats(&s.start)
	go s.loop()
	return s, nil
}

func baseProfilePath(memPath string) string {
	if ext := ".pprof"; len(memPath) > len(ext) && memPath[len(memPath)-len(ext):] == ext {
		return memPath[:len(memPath)-len(ext)] + "-base" + ext
	}
	return memPath + "-base"
}

func (s *sampler) loop() {
	defer close(s.done)
	samples := make([]metrics.Sample, len(heapInuseMetrics))
	for i, name := range heapInuseMetrics {
		samples[i].Name = name
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for n := 0; ; n++ {
		metrics.Read(samples)
		var heap uint64
		for _, sm := range samples {
			if sm.Value.Kind() == metrics.KindUint64 {
				heap += sm.Value.Uint64()
			}
		}
		// VmHWM, reset at the start, gives the peak RSS where Linux lets us
		// reset it; elsewhere VmRSS is sampled every 50 ms (a read of
		// /proc/self/status costs about 0.2 ms here, the metrics 1 µs).
		var rss uint64
		if !s.hwmReset && n%10 == 0 {
			rss, _ = procStatus("VmRSS")
		}
		s.mu.Lock()
		s.peakHeap = max(s.peakHeap, heap)
		s.peakRSS = max(s.peakRSS, rss)
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// finish ends the block and returns its figures.
func (s *sampler) finish() (blockStats, error) {
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	cpu := cpuSeconds()
	close(s.stop)
	<-s.done
	var err error
	if s.cpuFile != nil {
		pprof.StopCPUProfile()
		err = s.cpuFile.Close()
	}
	if s.memPath != "" {
		err = errors.Join(err, writeAllocs(s.memPath))
	}
	st := blockStats{
		Mallocs:    end.Mallocs - s.start.Mallocs,
		CPUSeconds: cpu - s.startCPU,
		PeakHeap:   s.peakHeap,
		PeakRSS:    s.peakRSS,
		RSSSource:  "VmRSS sampled",
	}
	if hwm, herr := procStatus("VmHWM"); s.hwmReset && herr == nil {
		st.PeakRSS, st.RSSSource = max(hwm, s.peakRSS), "VmHWM"
	}
	return st, err
}

// writeAllocs writes the allocation profile (all allocations since the
// process started; use pprof -base with the block's -base profile).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuSeconds is the process's user and system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// procStatus reads a "kB" field of /proc/self/status (VmRSS, VmHWM) in bytes.
func procStatus(field string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || string(name) != field {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			break
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, errors.New("no " + field + " in /proc/self/status")
}
