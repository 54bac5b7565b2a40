package telemetry

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

func TestMessageCountsSize(t *testing.T) {
	batch := func(n int) *modeplatformv1.StreamQueryResultsResponse {
		m := &modeplatformv1.StreamQueryResultsResponse{}
		for i := range n {
			m.Rows = append(m.Rows, &modeplatformv1.Row{Values: []*structpb.Value{structpb.NewNumberValue(float64(i)), structpb.NewStringValue("a value")}})
		}
		return m
	}
	marshal := func(t *testing.T, m proto.Message) {
		t.Helper()
		if _, err := proto.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		// prepare builds the message as a handler would have sent it.
		prepare func(t *testing.T) *modeplatformv1.StreamQueryResultsResponse
		rows    int64
	}{
		{"never marshalled (no cached size)", func(*testing.T) *modeplatformv1.StreamQueryResultsResponse { return batch(3) }, 3},
		{"just marshalled", func(t *testing.T) *modeplatformv1.StreamQueryResultsResponse { m := batch(5); marshal(t, m); return m }, 5},
		{"changed and marshalled again", func(t *testing.T) *modeplatformv1.StreamQueryResultsResponse {
			m := batch(5)
			marshal(t, m)
			m.Rows = append(m.Rows, batch(7).Rows...)
			marshal(t, m)
			return m
		}, 12},
		{"empty", func(t *testing.T) *modeplatformv1.StreamQueryResultsResponse { m := batch(0); marshal(t, m); return m }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.prepare(t)
			rows, size := messageCounts(m)
			// proto.Size recomputes, whatever is cached.
			if rows != tt.rows || size != int64(proto.Size(m)) {
				t.Errorf("messageCounts = %d rows, %d bytes; want %d, %d", rows, size, tt.rows, proto.Size(m))
			}
		})
	}
	if rows, size := messageCounts("not a message"); rows != 0 || size != 0 {
		t.Errorf("messageCounts(string) = %d, %d", rows, size)
	}
}
