package service

import (
	"compress/gzip"
	"io"

	"connectrpc.com/connect"
)

// Response compression. connect-go's default compresses every response
// message with gzip at its default level whenever the caller accepts gzip
// (connect-go and gRPC clients do). Measured on a 500-row
// StreamQueryResults batch (37 KB), the default level runs at 15 MB/s —
// half of the server's CPU while streaming a result — where BestSpeed runs
// at 144 MB/s and still shrinks the batch to 24% (against 21%); on a
// GetReport answer (a few hundred bytes) gzip costs more than the whole
// handler and saves nothing worth having. See BENCHMARKS.md.

// CompressMinBytes is the smallest response message compressed.
const CompressMinBytes = 1 << 10

// CompressionOptions are the handler options Routes applies: gzip at
// BestSpeed, for messages of CompressMinBytes or more.
func CompressionOptions() []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithCompression("gzip",
			func() connect.Decompressor { return &gzip.Reader{} },
			func() connect.Compressor {
				w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid: no error
				return w
			}),
		connect.WithCompressMinBytes(CompressMinBytes),
	}
}
