package main

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet/file"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
)

// checkColumnarExport exports a query run's result as Arrow or Parquet
// into a temporary file, reads it back with arrow-go (an Arrow stream batch
// by batch, a Parquet file's footer), checks it holds rows rows, and
// returns its size.
func checkColumnarExport(ctx context.Context, rs reportClient, name string, format modeplatformv1.ExportQueryResultsRequest_Format, rows int64) (int64, error) {
	f, err := os.CreateTemp("", "modebench-export-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size, err := exportTo(ctx, rs, name, format, f)
	if err != nil {
		return 0, fmt.Errorf("ExportQueryResults %v: %w", format, err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return 0, err
	}
	var n int64
	if format == modeplatformv1.ExportQueryResultsRequest_FORMAT_PARQUET {
		pf, err := file.NewParquetReader(f)
		if err != nil {
			return 0, fmt.Errorf("reading the Parquet export: %w", err)
		}
		n = pf.NumRows()
		if err := pf.Close(); err != nil {
			return 0, err
		}
	} else {
		r, err := ipc.NewReader(f)
		if err != nil {
			return 0, fmt.Errorf("reading the Arrow export: %w", err)
		}
		for r.Next() {
			n += r.RecordBatch().NumRows()
		}
		err = r.Err()
		r.Release()
		if err != nil {
			return 0, fmt.Errorf("reading the Arrow export: %w", err)
		}
	}
	if n != rows {
		return 0, fmt.Errorf("the %v export holds %d rows, want %d", format, n, rows)
	}
	return size, nil
}
