package service

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

// TestExportDetectsACutJSONBody: a body with no length and no framing
// (nothing below the service can tell it was cut) that stops inside its
// JSON array is a truncation, not an end.
func TestExportDetectsACutJSONBody(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
		json bool
		cut  bool
	}{
		{"whole JSON", "[{\"a\":1},\n{\"a\":2}]\n", true, false},
		{"empty JSON body", "", true, false},
		{"JSON cut after a row", `[{"a":1},{"a":2}`, true, true},
		{"JSON cut mid-value", `[{"a":1},{"a":"x`, true, true},
		{"CSV: no such check", "a\r\n1\r\n2", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			ex := &exportStream{body: &oneByteReader{r: strings.NewReader(tt.body)}, name: "q", json: tt.json,
				send: func(data []byte) error {
					got = append(got, data...)
					return nil
				}}
			err := ex.run(0, 4)
			if string(got) != tt.body {
				t.Fatalf("sent %q, want the whole %q", got, tt.body)
			}
			if !tt.cut {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeUnavailable {
				t.Fatalf("err %v, want Unavailable", err)
			}
			for _, d := range ce.Details() {
				if v, _ := d.Value(); v != nil {
					if info, ok := v.(*errdetails.ErrorInfo); ok {
						if info.GetReason() != ReasonUpstreamTruncated || info.GetMetadata()["resume_offset"] != strconv.Itoa(len(tt.body)) {
							t.Fatalf("details %v", info)
						}
						return
					}
				}
			}
			t.Fatalf("no ErrorInfo in %v", err)
		})
	}
}

// oneByteReader returns one byte per Read, and io.EOF with the last one.
type oneByteReader struct{ r *strings.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := o.r.Read(p[:1])
	if err == nil && o.r.Len() == 0 {
		err = io.EOF
	}
	return n, err
}
