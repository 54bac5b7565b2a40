package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
	"github.com/modeplatform/modeplatform/internal/httpserver"
	"github.com/modeplatform/modeplatform/service"
)

// runBaseline serves scenario 8's baseline until stdin closes: a no-op
// connect-go ReportService whose GetReport answers the message in -message
// (a serialized GetReportResponse: the server's answer for the report the
// drivers ask for), at the same path as the server's, so that every driver
// sends the same request to both. No interceptor, no telemetry, no
// validation: the least a connect-go handler costs. It has the services'
// wire settings (gzip at 1 KiB and up, the read limit) and the server's
// HTTP server (internal/httpserver: HTTP/1.1 and h2c on one port), in a
// process of its own like the server's, so both run under the same
// conditions (GOMAXPROCS, garbage collector, scheduler).
func runBaseline(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	msgFile := fs.String("message", "", "file holding the serialized GetReportResponse to answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*msgFile)
	if err != nil {
		return err
	}
	msg := &modeplatformv1.GetReportResponse{}
	if err := proto.Unmarshal(b, msg); err != nil {
		return fmt.Errorf("-message: %w", err)
	}
	opts := append(service.CompressionOptions(), connect.WithReadMaxBytes(1<<20))
	path, handler := modeplatformv1connect.NewReportServiceHandler(noopReports{msg: msg}, opts...)
	mux := http.NewServeMux()
	mux.Handle(path, handler)
	srv := httpserver.New(mux, nil, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	return serveChild(srv, stdout, stdin)
}

// noopReports answers GetReport with a fixed message; every other method
// is unimplemented.
type noopReports struct {
	modeplatformv1connect.UnimplementedReportServiceHandler
	msg *modeplatformv1.GetReportResponse
}

// GetReport answers the fixed message, whatever the request.
func (n noopReports) GetReport(context.Context, *connect.Request[modeplatformv1.GetReportRequest]) (*connect.Response[modeplatformv1.GetReportResponse], error) {
	return connect.NewResponse(n.msg), nil
}
