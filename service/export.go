package service

import (
	"context"
	"io"
	"strconv"

	"connectrpc.com/connect"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/internal/errdetail"
	"github.com/modeplatform/modeplatform/modeclient"
)

// ExportQueryResults streams a succeeded query run's result as a file, in
// chunks of Options.ExportChunkBytes, from the request's byte offset on (the
// bytes before it are made and dropped), the first chunk carrying the
// file's media type. CSV and JSON are Mode's files, unchanged; Arrow and
// Parquet are made from Mode's JSON as it arrives (columnar.go). An offset
// equal to the file's size answers no chunk; beyond it, OutOfRange (known
// only once the file was made to its end).
//
// A file cut short — a Mode connection lost mid-way, a body shorter than
// its Content-Length, a chunked or gzip body ended before its framing says,
// a JSON file not ending with its closing bracket — ends the stream, after
// the bytes read before the cut, with Unavailable (reason
// UPSTREAM_TRUNCATED), RetryInfo and resume_offset, the offset of the first
// byte not sent. A body Mode sends with no length, no chunking and no
// compression, cut at a CSV line end, cannot be told from a whole one.
func (s *ReportServer) ExportQueryResults(ctx context.Context, req *connect.Request[modeplatformv1.ExportQueryResultsRequest], stream *connect.ServerStream[modeplatformv1.ExportQueryResultsResponse]) error {
	m := req.Msg
	name := m.GetName()
	ids, err := parseQueryRunName("name", name)
	if err != nil {
		return err
	}
	format := m.GetFormat()
	contentType, ok := exportContentTypes[format]
	if !ok {
		return invalidArgument("format", "must be FORMAT_CSV, FORMAT_JSON, FORMAT_ARROW or FORMAT_PARQUET")
	}
	offset := m.GetOffset()
	if offset < 0 {
		return invalidArgument("offset", "must be 0 or more")
	}
	sc, ctx := s.core.startStream(ctx)
	defer sc.end()
	cl, err := s.core.client(ctx, ids[0])
	if err != nil {
		return err
	}
	if err := requireQueryResults(ctx, cl, ids, name); err != nil {
		return sc.fail(err, offset)
	}
	first := true
	send := func(data []byte) error {
		msg := &modeplatformv1.ExportQueryResultsResponse{Data: data}
		if first {
			msg.ContentType, first = contentType, false
		}
		return sc.send(func() error { return stream.Send(msg) })
	}
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW || format == modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET {
		out := &chunkSender{buf: make([]byte, 0, s.core.opts.ExportChunkBytes), skip: offset, sent: offset, send: send}
		if err := s.exportColumnar(ctx, cl, ids, name, format, out); err != nil {
			return sc.fail(err, out.sent)
		}
		return nil
	}
	open := cl.QueryResultsCSV
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON {
		open = cl.QueryResultsJSON
	}
	body, err := open(ctx, ids[0], ids[1], ids[2], ids[3])
	if err != nil {
		return sc.fail(withResumeOffset(upstreamError(err, name), offset), offset)
	}
	defer body.Close()

	ex := &exportStream{
		body: body, name: name, json: format == modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON,
		sent: offset, send: send,
	}
	if err := ex.run(offset, s.core.opts.ExportChunkBytes); err != nil {
		return sc.fail(err, ex.sent)
	}
	return nil
}

// exportContentTypes are the media types of ExportQueryResults' formats.
var exportContentTypes = map[modeplatformv1.ExportQueryResultsRequest_Format]string{
	modeplatformv1.ExportQueryResultsRequest_FORMAT_CSV:     mediaTypeCSV,
	modeplatformv1.ExportQueryResultsRequest_FORMAT_JSON:    mediaTypeJSON,
	modeplatformv1.ExportQueryResultsRequest_FORMAT_ARROW:   mediaTypeArrow,
	modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET: mediaTypeParquet,
}

// exportColumnar makes the Arrow or Parquet file of the query run ids
// (workspace, report, run, query run) into out, then sends its last chunk;
// an offset beyond the file's end is OutOfRange.
func (s *ReportServer) exportColumnar(ctx context.Context, cl *modeclient.Client, ids []string, name string, format modeplatformv1.ExportQueryResultsRequest_Format, out *chunkSender) error {
	offset := out.skip
	rr, err := cl.QueryResultRowsWithLimits(ctx, ids[0], ids[1], ids[2], ids[3], modeclient.RowLimits{
		MaxRowBytes: columnarMaxRowBytes, MaxValueBytes: columnarMaxRowBytes,
	})
	if err != nil {
		return columnarReadError(err, name, offset)
	}
	defer rr.Close()
	if err := newColumnarExport(rr, name, format, out).run(); err != nil {
		return err
	}
	if out.made < offset {
		e := connect.NewError(connect.CodeOutOfRange, errorf("offset %d is beyond the end of the %d bytes of %s's %s file", offset, out.made, name, formatLabel(format)))
		errdetail.AddBadRequest(e, "offset", "must be at most the file's size, "+strconv.FormatInt(out.made, 10))
		return e
	}
	return out.flush()
}

// exportStream is one export of a file from Mode in progress (ExportQueryResults,
// ExportReportRun).
type exportStream struct {
	body io.Reader
	name string
	json bool                    // the file must end with ']'
	send func(data []byte) error // sends the next chunk; data is reused after it returns
	read int64                   // bytes read from body
	sent int64                   // offset after the last byte sent: where to resume
	last byte                    // the last byte read that is not JSON whitespace
	err  error                   // the error that ended the body, returned once its bytes are
}

// readSome reads into p until it is full or the body ends. It returns
// io.EOF (with no bytes) after a whole body's end, any other error (a cut
// body) after the bytes read before it.
func (ex *exportStream) readSome(p []byte) (int, error) {
	if ex.err != nil {
		return 0, ex.err
	}
	n := 0
	for n < len(p) {
		k, err := ex.body.Read(p[n:])
		if ex.json {
			for _, c := range p[n : n+k] {
				switch c {
				case ' ', '\t', '\r', '\n':
				default:
					ex.last = c
				}
			}
		}
		n += k
		ex.read += int64(k)
		if err == io.EOF && ex.json && ex.read > 0 && ex.last != ']' {
			err = io.ErrUnexpectedEOF // a JSON array cut short, on a body whose framing said nothing
		}
		if err != nil {
			ex.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
	return n, nil
}

// run skips offset bytes, then sends the rest in chunks of chunkSize.
func (ex *exportStream) run(offset int64, chunkSize int) error {
	buf := make([]byte, chunkSize)
	for ex.read < offset {
		_, err := ex.readSome(buf[:min(int64(len(buf)), offset-ex.read)])
		switch {
		case err == io.EOF:
			e := connect.NewError(connect.CodeOutOfRange, errorf("offset %d is beyond the end of the %d bytes of %s's file", offset, ex.read, ex.name))
			errdetail.AddBadRequest(e, "offset", "must be at most the file's size, "+strconv.FormatInt(ex.read, 10))
			return e
		case err != nil:
			return truncatedError(err, ex.name, ex.sent)
		}
	}
	for {
		n, err := ex.readSome(buf)
		if n > 0 {
			if serr := ex.send(buf[:n]); serr != nil {
				return serr
			}
			ex.sent += int64(n)
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return truncatedError(err, ex.name, ex.sent)
		}
	}
}
