// Package logbuffer batches a process's log output: a Writer holds what is
// written in memory and passes it to the underlying writer (standard error)
// at least every interval, whenever the buffer is full, and on Flush and
// Close, so that logging an RPC costs a copy rather than a write system call
// of its own. Under load that system call was most of the access log's cost
// (issue 18's profile: one write(2) per call); zap's BufferedWriteSyncer
// makes the same trade. The price is that the last interval of records is
// lost if the process is killed (SIGKILL, a crash of the runtime); a clean
// exit, a returned error and a recovered panic lose nothing, as long as
// Close runs.
package logbuffer

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Defaults of New.
const (
	DefaultSize     = 64 << 10
	DefaultInterval = 100 * time.Millisecond
)

// Writer is a buffered, periodically flushed io.Writer, safe for concurrent
// use. Create it with New; Close it before the process exits.
type Writer struct {
	mu      sync.Mutex
	buf     *bufio.Writer
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
}

// New returns a Writer in front of w holding up to size bytes (<= 0:
// DefaultSize) and flushing them every interval (<= 0: DefaultInterval).
func New(w io.Writer, size int, interval time.Duration) *Writer {
	if size <= 0 {
		size = DefaultSize
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	bw := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), stopped: make(chan struct{})}
	go bw.flushEvery(interval)
	return bw
}

// Write implements io.Writer. What does not fit is flushed (in order: a
// record larger than the buffer goes out at once but for its end); after
// Close, writes go straight through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		if err := w.buf.Flush(); err != nil {
			return 0, err
		}
	}
	n, err := w.buf.Write(p)
	if err == nil && w.closed {
		err = w.buf.Flush()
	}
	return n, err
}

// Flush writes what is buffered to the underlying writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close stops the periodic flush and flushes; later writes are passed on at
// once. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	<-w.stopped
	return w.Flush()
}

func (w *Writer) flushEvery(interval time.Duration) {
	defer close(w.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush() // a failed write to standard error has nowhere to be reported
		}
	}
}
