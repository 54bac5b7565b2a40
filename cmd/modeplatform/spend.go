package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/modeplatform/modeplatform/telemetry"
)

// metricCallerRequests is the counter of requests sent to Mode, by the caller they were made for.
const metricCallerRequests = "modeplatform.upstream.caller_requests"

// anonymousCaller is the metric label of every caller named by its peer address.
const anonymousCaller = "anonymous"

// newSpendMeter returns the observer of the requests sent to Mode (upstream.Options.ObserveSend):
// a counter by caller, each caller's upstream spend. The label is the policy's caller name —
// bounded by the policy file — or "anonymous" for callers known only by their peer address
// (callerIdentity's "peer:…"), which would make one series per client address, without bound;
// "" (a request no caller named: a background task) is "none".
func newSpendMeter(m metric.Meter) (func(ctx context.Context, caller string), error) {
	c, err := m.Int64Counter(metricCallerRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests sent to Mode (retries included), by the caller they were made for: "+
			"the policy's caller name, anonymous for callers known by their address only. "+
			"A cache fetch shared by several callers is charged to the one that started it."))
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", metricCallerRequests, err)
	}
	return func(ctx context.Context, caller string) {
		label := caller
		switch {
		case caller == "":
			label = "none"
		case strings.HasPrefix(caller, peerCallerPrefix):
			label = anonymousCaller
		}
		c.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(telemetry.AttrCaller.String(label))))
	}, nil
}
