package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/modeplatform/modeplatform/internal/errdetail"
)

// TestDedupedCreateHasItsOwnDeadline: a create with a request_id runs
// detached from its caller (the caller going away does not cut it) but under
// the dedupe's own timeout, so a Mode that never answers cannot hold it, and
// the duplicates waiting on it, forever.
func TestDedupedCreateHasItsOwnDeadline(t *testing.T) {
	d := newDedupe(100, time.Minute, time.Now, nil)
	if d.createTimeout != DefaultCreateTimeout {
		t.Fatalf("default create timeout %v, want %v", d.createTimeout, DefaultCreateTimeout)
	}

	t.Run("detached from the caller, with a deadline", func(t *testing.T) {
		caller, cancel := context.WithCancel(context.Background())
		cancel() // the caller is already gone
		var sawDeadline time.Time
		var sawErr error
		_, _ = do(caller, d, "s", "deadline-1", 1, func(ctx context.Context) (*wrapperspb.StringValue, error) {
			sawDeadline, _ = ctx.Deadline()
			sawErr = ctx.Err()
			return wrapperspb.String("made"), nil
		})
		if sawErr != nil {
			t.Errorf("the create's context ended with its caller: %v", sawErr)
		}
		if sawDeadline.IsZero() {
			t.Fatal("the detached create has no deadline")
		}
		if left := time.Until(sawDeadline); left > DefaultCreateTimeout {
			t.Errorf("deadline %v away, more than the create timeout %v", left, DefaultCreateTimeout)
		}
	})

	t.Run("a hung create ends at its deadline", func(t *testing.T) {
		hd := newDedupe(100, time.Minute, time.Now, nil)
		hd.createTimeout = time.Millisecond
		hung := func(ctx context.Context) (*wrapperspb.StringValue, error) {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("the detached create has no deadline: it would hang forever")
				return nil, errors.New("no deadline")
			}
			<-ctx.Done() // Mode never answers
			return nil, upstreamError(ctx.Err(), "r")
		}
		_, err := do(context.Background(), hd, "s", "hung-1", 1, hung)
		if err == nil {
			t.Fatal("a hung create succeeded")
		}
		// It may have reached Mode: the answer says the outcome is unknown,
		// and a retry with the id answers the same without creating again.
		if !errdetail.HasReason(err, ReasonCreateOutcomeUnknown) {
			t.Errorf("err = %v, want reason %s", err, ReasonCreateOutcomeUnknown)
		}
		_, err2 := do(context.Background(), hd, "s", "hung-1", 1, func(context.Context) (*wrapperspb.StringValue, error) {
			t.Error("the retry created again")
			return nil, nil
		})
		if connect.CodeOf(err2) != connect.CodeOf(err) {
			t.Errorf("retry: %v, want %v", err2, err)
		}
	})
}
