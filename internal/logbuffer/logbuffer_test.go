package logbuffer_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/logbuffer"
	"github.com/modeplatform/modeplatform/internal/syncbuf"
)

// TestBuffersUntilFlushOrClose: small writes are held, and appear in order
// on Flush, on Close, and after Close at once; a write larger than the
// buffer goes out (its end may stay buffered until the next flush).
func TestBuffersUntilFlushOrClose(t *testing.T) {
	var out syncbuf.Buffer
	w := logbuffer.New(&out, 64, time.Hour) // no periodic flush within the test
	_, _ = w.Write([]byte("one\n"))
	_, _ = w.Write([]byte("two\n"))
	if got := out.String(); got != "" {
		t.Fatalf("written before a flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after Flush: %q", got)
	}
	big := strings.Repeat("x", 100) + "\n"
	_, _ = w.Write([]byte("three\n"))
	_, _ = w.Write([]byte(big))
	if got := out.String(); !strings.HasPrefix(got, "one\ntwo\nthree\nxxxx") {
		t.Fatalf("a write larger than the buffer did not go out: %q", got)
	}
	_ = w.Flush()
	if got := out.String(); got != "one\ntwo\nthree\n"+big {
		t.Fatalf("after a write larger than the buffer and Flush: %q", got)
	}
	_, _ = w.Write([]byte("four\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("five\n"))
	if got := out.String(); !strings.HasSuffix(got, big+"four\nfive\n") {
		t.Fatalf("after Close: %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestFlushesPeriodically: a buffered record reaches the writer without a
// Flush (waits for it rather than for a fixed time).
func TestFlushesPeriodically(t *testing.T) {
	var out syncbuf.Buffer
	w := logbuffer.New(&out, 0, time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("record\n"))
	for out.String() == "" {
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "record\n" {
		t.Fatalf("flushed %q", got)
	}
}

// TestConcurrentWritesKeepRecordsWhole: records written at once by many
// goroutines come out whole.
func TestConcurrentWritesKeepRecordsWhole(t *testing.T) {
	var out syncbuf.Buffer
	w := logbuffer.New(&out, 256, time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				_, _ = w.Write([]byte("0123456789abcdef\n"))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if l != "0123456789abcdef" {
			t.Fatalf("a record was split: %q", l)
		}
	}
}
