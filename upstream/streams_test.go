package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/modeclient/modetest"
)

// slowResults serves a result whose body starts and then waits for the
// test to end (a caller that reads slowly), and a report.
func slowResults(t *testing.T) (url string, results *atomic.Int32) {
	t.Helper()
	done := make(chan struct{})
	results = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/content.csv"):
			results.Add(1)
			w.Header().Set("Content-Type", "text/csv")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "id\r\n1\r\n")
			w.(http.Flusher).Flush()
			select {
			case <-done:
			case <-r.Context().Done():
			}
		default:
			w.Header().Set("Content-Type", "application/hal+json")
			_, _ = io.WriteString(w, `{"token":"r1","name":"R","account_username":"parch_and_posey","_links":{}}`)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs before srv.Close
	return srv.URL, results
}

func TestSlowResultReadersDoNotHoldRequestSlots(t *testing.T) {
	url, results := slowResults(t)
	const concurrency, readers = 8, 12
	p, _ := newPool(t, url, Limits{RPS: -1, Concurrency: concurrency, Streams: 16})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := p.Client(ctx, modetest.DemoWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	g := p.byWorkspace[modetest.DemoWorkspace].guard
	var bodies []io.ReadCloser
	defer func() {
		for _, b := range bodies {
			b.Close()
		}
	}()
	// More open results than request slots, none read to its end: each
	// gets its headers (a slot held per body would stop the ninth).
	for i := range readers {
		b, err := c.QueryResultsCSV(ctx, modetest.DemoWorkspace, "r1", "run1", "qr1")
		if err != nil {
			t.Fatalf("result %d: %v", i+1, err)
		}
		buf := make([]byte, 3)
		if _, err := io.ReadFull(b, buf); err != nil {
			t.Fatalf("result %d: read %v", i+1, err)
		}
		bodies = append(bodies, b)
	}
	if n := int(results.Load()); n != readers {
		t.Fatalf("%d results reached Mode, want %d", n, readers)
	}
	if g.adm.held() != 0 || len(g.streams) != readers {
		t.Fatalf("request slots held %d, stream slots %d; want 0 and %d", g.adm.held(), len(g.streams), readers)
	}
	// An uncached call on the same credential goes through.
	if _, err := c.GetReport(ctx, modetest.DemoWorkspace, "r1"); err != nil {
		t.Fatalf("GetReport behind %d slow readers: %v", readers, err)
	}
	for _, b := range bodies {
		b.Close()
	}
	bodies = nil
	if g.adm.held() != 0 || len(g.streams) != 0 {
		t.Fatalf("after Close: request slots %d, stream slots %d", g.adm.held(), len(g.streams))
	}
}

func TestStreamLimitBoundsOpenResults(t *testing.T) {
	url, results := slowResults(t)
	p, _ := newPool(t, url, Limits{RPS: -1, Concurrency: 8, Streams: 2})
	ctx := context.Background()
	c, _ := p.Client(ctx, modetest.DemoWorkspace)
	var bodies []io.ReadCloser
	for range 2 {
		b, err := c.QueryResultsCSV(ctx, modetest.DemoWorkspace, "r1", "run1", "qr1")
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	// A third waits for a stream slot, no longer than its deadline, and is
	// never sent.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err := c.QueryResultsCSV(short, modetest.DemoWorkspace, "r1", "run1", "qr1")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third result: %v, want DeadlineExceeded", err)
	}
	if n := results.Load(); n != 2 {
		t.Fatalf("%d results reached Mode, want 2", n)
	}
	// Other requests are not held up by the full stream limit.
	if _, err := c.GetReport(ctx, modetest.DemoWorkspace, "r1"); err != nil {
		t.Fatalf("GetReport: %v", err)
	}
	bodies[0].Close()
	b, err := c.QueryResultsCSV(ctx, modetest.DemoWorkspace, "r1", "run1", "qr1")
	if err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	b.Close()
	bodies[1].Close()
}
