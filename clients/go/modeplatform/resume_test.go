package modeplatform_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/modeplatform/modeplatform/clients/go/modeplatform"
	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// cutProxy forwards every request to the test server; the first StreamQueryResults stream through
// it passes the server's first `after` messages and then ends with Unavailable, as the server
// ends a stream open for its maximum lifetime. It records the offset of every StreamQueryResults
// request and the rows it let through before the cut.
type cutProxy struct {
	after int
	proxy *httputil.ReverseProxy

	mu      sync.Mutex
	offsets []int64
	passed  int // rows in the messages passed before the cut
}

func newCutProxy(t *testing.T, after int) (*cutProxy, string) {
	t.Helper()
	target, err := url.Parse("http://" + serverAddr)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{after: after, proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != modeplatformv1connect.ReportServiceStreamQueryResultsProcedure {
		p.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var req modeplatformv1.StreamQueryResultsRequest
	if len(body) < 5 || proto.Unmarshal(body[5:], &req) != nil {
		http.Error(w, "the proxy reads binary, uncompressed Connect streams only", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.offsets = append(p.offsets, req.GetOffset())
	first := len(p.offsets) == 1
	p.mu.Unlock()
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	if !first {
		p.proxy.ServeHTTP(w, out)
		return
	}
	rp := *p.proxy
	rp.ModifyResponse = func(res *http.Response) error {
		defer res.Body.Close()
		var buf bytes.Buffer
		for range p.after {
			var prefix [5]byte
			if _, err := io.ReadFull(res.Body, prefix[:]); err != nil {
				return fmt.Errorf("read a message's prefix: %w", err)
			}
			msg := make([]byte, binary.BigEndian.Uint32(prefix[1:]))
			if _, err := io.ReadFull(res.Body, msg); err != nil {
				return fmt.Errorf("read a message: %w", err)
			}
			var m modeplatformv1.StreamQueryResultsResponse
			if prefix[0] != 0 || proto.Unmarshal(msg, &m) != nil {
				return fmt.Errorf("message flags %#x: want an uncompressed StreamQueryResultsResponse", prefix[0])
			}
			p.mu.Lock()
			p.passed += len(m.GetRows())
			p.mu.Unlock()
			buf.Write(prefix[:])
			buf.Write(msg)
		}
		end := []byte(`{"error":{"code":"unavailable","message":"the stream was open for its maximum lifetime: resume it (cut by the test's proxy)"}}`)
		buf.WriteByte(0x02) // end of stream
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(end))))
		buf.Write(end)
		res.Body = io.NopCloser(&buf)
		res.ContentLength = int64(buf.Len())
		res.Header.Del("Content-Length")
		return nil
	}
	rp.ServeHTTP(w, out)
}

// TestRowsResume: a result stream the server ends with Unavailable is opened again from the next
// row, and the rows come once each, in order.
func TestRowsResume(t *testing.T) {
	direct := newClient(t, modeplatform.WithKey(runnerKey))
	queryRun := succeededQueryRun(t, direct)
	var want []modeplatform.Row
	for row, err := range direct.Rows(callCtx(t), queryRun) {
		if err != nil {
			t.Fatalf("Rows: %v", err)
		}
		want = append(want, row)
	}

	tests := []struct {
		name  string
		after int // messages passed before the cut
		from  int // the first row asked for
		batch int32
	}{
		// The server sends the columns first, in a message of their own, then the rows.
		{name: "cut after the columns and one batch", after: 2, batch: 2},
		{name: "cut after the columns and two batches, from row 1", after: 3, from: 1, batch: 3},
		{name: "cut before any row", after: 1, batch: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy, base := newCutProxy(t, tt.after)
			c, err := modeplatform.New(base, modeplatform.WithKey(runnerKey),
				// Binary and uncompressed, so the proxy can read the messages it passes.
				modeplatform.WithClientOptions(connect.WithAcceptCompression("gzip", nil, nil)))
			if err != nil {
				t.Fatal(err)
			}
			var got []modeplatform.Row
			for row, err := range c.Rows(callCtx(t), queryRun, modeplatform.FromRow(int64(tt.from)), modeplatform.BatchSize(tt.batch)) {
				if err != nil {
					t.Fatalf("Rows through the proxy: %v", err)
				}
				got = append(got, row)
			}
			from := tt.from
			if len(got) != len(want)-from {
				t.Fatalf("Rows through the proxy gave %d rows, want %d", len(got), len(want)-from)
			}
			for i, row := range got {
				w := want[from+i]
				if row.Offset != w.Offset || !slices.Equal(row.Values, w.Values) || len(row.Columns) != len(w.Columns) {
					t.Errorf("row %d: %d %v, want %d %v", i, row.Offset, row.Values, w.Offset, w.Values)
				}
			}
			proxy.mu.Lock()
			defer proxy.mu.Unlock()
			if wantOffsets := []int64{int64(from), int64(from + proxy.passed)}; !slices.Equal(proxy.offsets, wantOffsets) || (tt.after > 1) != (proxy.passed > 0) {
				t.Errorf("StreamQueryResults offsets %v (%d rows passed before the cut), want %v", proxy.offsets, proxy.passed, wantOffsets)
			}
		})
	}
}

// succeededQueryRun runs "Large Orders by Region" for region West to its end and returns its
// query run's name.
func succeededQueryRun(t *testing.T, c *modeplatform.Client) string {
	t.Helper()
	started, err := c.Reports.RunReport(callCtx(t), connect.NewRequest(&modeplatformv1.RunReportRequest{
		Name: largeOrder, Parameters: map[string]string{"region": "West"},
	}))
	if err != nil {
		t.Fatalf("RunReport: %v", err)
	}
	run, err := c.WaitRun(callCtx(t), started.Msg.GetRun().GetName())
	if err != nil || run.GetState() != modeplatformv1.ReportRun_STATE_SUCCEEDED {
		t.Fatalf("WaitRun = %v, %v; want a succeeded run", run, err)
	}
	queryRuns, err := c.QueryRuns(callCtx(t), run.GetName())
	if err != nil || len(queryRuns) == 0 {
		t.Fatalf("QueryRuns = %v, %v", queryRuns, err)
	}
	return queryRuns[0].GetName()
}
