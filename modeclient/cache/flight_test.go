package cache

import (
	"context"
	"testing"
	"time"
)

// TestCallersDeadlineIsTheLatestOfTheFetchsCallers: the fetch's context tells the latest
// deadline among the callers that asked for its result, whoever started it; a caller without a
// deadline lifts the bound (only FetchTimeout is left).
func TestCallersDeadlineIsTheLatestOfTheFetchsCallers(t *testing.T) {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	tests := []struct {
		name      string
		callers   []time.Time // zero: no deadline; the first starts the fetch
		want      time.Time
		wantBound bool
	}{
		{"one caller", []time.Time{at(time.Second)}, at(time.Second), true},
		{"a later joiner extends it", []time.Time{at(100 * time.Millisecond), at(time.Minute)}, at(time.Minute), true},
		{"an earlier joiner does not shorten it", []time.Time{at(time.Minute), at(time.Second)}, at(time.Minute), true},
		{"a starter without a deadline", []time.Time{{}, at(time.Second)}, time.Time{}, false},
		{"a joiner without a deadline", []time.Time{at(time.Second), {}}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, Options{})
			key := Key{Credential: "c", Method: "GET", Path: "/p"}
			started := make(chan struct{})
			release := make(chan struct{})
			type seen struct {
				dl time.Time
				ok bool
			}
			got := make(chan seen, 1)
			fetch := func(ctx context.Context) (Fetched, error) {
				close(started)
				<-release
				dl, ok := CallersDeadline(ctx)
				got <- seen{dl, ok}
				return Fetched{Body: []byte("x")}, nil
			}
			done := make(chan struct{}, len(tt.callers))
			for i, dl := range tt.callers {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if !dl.IsZero() {
					ctx, cancel = context.WithDeadline(ctx, dl)
				}
				defer cancel()
				go func() {
					_, _, _ = c.Get(ctx, key, false, fetch)
					done <- struct{}{}
				}()
				if i == 0 {
					<-started
				}
			}
			for waiters := 0; waiters != len(tt.callers)-1; {
				c.mu.Lock()
				waiters = c.flights[key].waiters
				c.mu.Unlock()
				time.Sleep(time.Millisecond)
			}
			close(release)
			s := <-got
			for range tt.callers {
				<-done
			}
			if s.ok != tt.wantBound || !s.dl.Equal(tt.want) {
				t.Errorf("CallersDeadline = %v, %v; want %v, %v", s.dl, s.ok, tt.want, tt.wantBound)
			}
		})
	}
	if _, ok := CallersDeadline(context.Background()); ok {
		t.Error("CallersDeadline outside a fetch reports a deadline")
	}
}
