package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/modeplatform/modeplatform/internal/syncbuf"
)

func TestBufferConcurrentWriters(t *testing.T) {
	// Run with -race: writers and a reader at once, nothing lost or torn.
	var b syncbuf.Buffer
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(&b, "w%d-%d\n", w, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		seen[l] = true
	}
	for w := range writers {
		for i := range lines {
			if l := fmt.Sprintf("w%d-%d", w, i); !seen[l] {
				t.Fatalf("line %q lost or torn", l)
			}
		}
	}
	b.Reset()
	if s := b.String(); s != "" {
		t.Errorf("after Reset: %q", s)
	}
}
