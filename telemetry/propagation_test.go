package telemetry

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TestHeaderPropagator: on HTTP headers it extracts and injects exactly
// what the W3C propagator does (traceparent, tracestate, baggage spread
// over several header lines), and other carriers go to it unchanged.
func TestHeaderPropagator(t *testing.T) {
	w3c := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	fast := headerPropagator{w3c}
	if !sameSet(fast.Fields(), w3c.Fields()) {
		t.Errorf("Fields %v, want %v", fast.Fields(), w3c.Fields())
	}

	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Tracestate", "vendor=x")
	h.Add("Baggage", "tenant=acme")
	h.Add("Baggage", "region=west")
	for name, carrier := range map[string]propagation.TextMapCarrier{
		"headers": propagation.HeaderCarrier(h),
		"map": propagation.MapCarrier{
			"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"tracestate":  "vendor=x",
			"baggage":     "tenant=acme,region=west",
		},
	} {
		got, want := fast.Extract(context.Background(), carrier), w3c.Extract(context.Background(), carrier)
		gsc, wsc := trace.SpanContextFromContext(got), trace.SpanContextFromContext(want)
		if !gsc.IsValid() || !gsc.Equal(wsc) || gsc.TraceState().String() != "vendor=x" {
			t.Errorf("%s: span context %v, want %v", name, gsc, wsc)
		}
		gb, wb := baggage.FromContext(got), baggage.FromContext(want)
		if gb.Len() != 2 || gb.Member("region").Value() != "west" || !sameSet(members(gb), members(wb)) {
			t.Errorf("%s: baggage %q, want %q", name, gb, wb)
		}

		// Injecting what was extracted writes the same headers.
		fh, wh := http.Header{}, http.Header{}
		fast.Inject(got, propagation.HeaderCarrier(fh))
		w3c.Inject(want, propagation.HeaderCarrier(wh))
		for _, k := range []string{"Traceparent", "Tracestate"} {
			if !slices.Equal(fh.Values(k), wh.Values(k)) || len(fh.Values(k)) != 1 {
				t.Errorf("%s: injected %s %q, want %q", name, k, fh.Values(k), wh.Values(k))
			}
		}
		if f, w := fh.Values("Baggage"), wh.Values("Baggage"); len(f) != 1 || len(w) != 1 || !sameSet(strings.Split(f[0], ","), strings.Split(w[0], ",")) {
			t.Errorf("%s: injected baggage %q, want %q", name, f, w)
		}
		if len(fh) != len(wh) {
			t.Errorf("%s: injected %v, want %v", name, fh, wh)
		}
	}

	// Nothing to extract: the context is returned as it is.
	ctx := context.Background()
	if got := fast.Extract(ctx, propagation.HeaderCarrier(http.Header{"Content-Type": {"application/json"}})); got != ctx {
		t.Errorf("Extract without trace headers returned a new context")
	}
	if keys := (canonicalHeaders{"A": nil, "B": nil}).Keys(); len(keys) != 2 {
		t.Errorf("Keys %v", keys)
	}
}

// BenchmarkHeaderPropagatorExtract: the extraction every RPC does, from
// headers without trace context and with it.
func BenchmarkHeaderPropagatorExtract(b *testing.B) {
	w3c := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	with := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "Content-Type": {"application/json"}}
	without := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name string
		p    propagation.TextMapPropagator
		h    http.Header
	}{{"w3c/none", w3c, without}, {"fast/none", headerPropagator{w3c}, without}, {"w3c/traceparent", w3c, with}, {"fast/traceparent", headerPropagator{w3c}, with}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.p.Extract(context.Background(), propagation.HeaderCarrier(c.h))
			}
		})
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// members returns the members of b as key=value strings.
func members(b baggage.Baggage) []string {
	var out []string
	for _, m := range b.Members() {
		out = append(out, m.Key()+"="+m.Value())
	}
	return out
}
