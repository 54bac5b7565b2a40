package namepattern_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1" // registers the contract's files
	"github.com/modeplatform/modeplatform/internal/namepattern"
)

// contractPatterns returns every string.pattern rule of the contract's
// messages, sorted and without repeats.
func contractPatterns(t testing.TB) []string {
	t.Helper()
	var patterns []string
	var walk func(md protoreflect.MessageDescriptor)
	seen := map[protoreflect.FullName]bool{}
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			rules, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
			if p := rules.GetString().GetPattern(); p != "" {
				patterns = append(patterns, p)
			}
			if p := rules.GetRepeated().GetItems().GetString().GetPattern(); p != "" {
				patterns = append(patterns, p)
			}
		}
		nested := md.Messages()
		for i := range nested.Len() {
			walk(nested.Get(i))
		}
	}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "modeplatform.") {
			msgs := fd.Messages()
			for i := range msgs.Len() {
				walk(msgs.Get(i))
			}
		}
		return true
	})
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)
	if len(patterns) < 10 {
		t.Fatalf("found %d patterns in the contract: is it registered?", len(patterns))
	}
	return patterns
}

// samples are strings near the contract's names: valid ones, and each kind
// of mistake at each place.
func samples() []string {
	ws := "parch_and_posey"
	long64 := strings.Repeat("a", 64)
	long65 := strings.Repeat("a", 65)
	out := []string{
		"", "/", "-", "a", "_", "A-b_9", long64, long65, "abc/def", "a b", "ä", "a\n", "\n", "a.b:c",
		"create_time", "update_time desc", "create_time asc", "create_time up",
		"workspaces/", "workspaces/" + ws, "workspaces/-", "workspaces/" + ws + "/",
		"workspaces/" + long64, "workspaces/" + long65, "workspaces/" + strings.Repeat("b", 63),
		"workspaces/" + ws + "/credential", "workspaces/" + ws + "/credentials",
	}
	for _, coll := range []string{"reports", "datasets", "spaces", "groups", "dataSources", "memberships", "definitions", "signatureTokens"} {
		base := "workspaces/" + ws + "/" + coll
		out = append(out, base, base+"/", base+"/-", base+"/849c9a32d24b", base+"/"+long64, base+"/"+long65,
			base+"/849c9a32d24b/", base+"/849c9a32d24b/x", base+"/8 49", base+"/849c9a32d24b\x00", base+"/ä")
		for _, child := range []string{"runs", "queries", "schedules", "subscriptions", "filters", "memberships", "fieldDescriptions"} {
			out = append(out, base+"/r1/"+child+"/c1", base+"/r1/"+child+"/", base+"/-/"+child+"/-",
				base+"/r1/"+child+"/c1/queryRuns/q1", base+"/r1/"+child+"/c1/duplicates/d1", base+"/r1/"+child+"/c1/charts/x")
		}
	}
	return out
}

// TestMatchesLikeRegexp compares every compiled contract pattern with Go's
// regexp on the samples, and checks that the patterns of the hot path
// compile.
func TestMatchesLikeRegexp(t *testing.T) {
	compiled := 0
	for _, p := range contractPatterns(t) {
		m, ok := namepattern.Compile(p)
		if !ok {
			t.Logf("not compiled (regexp keeps it): %s", p)
			continue
		}
		compiled++
		re := regexp.MustCompile(p)
		for _, s := range samples() {
			if got, want := m.Match(s), re.MatchString(s); got != want {
				t.Errorf("pattern %s on %q: Match = %v, regexp = %v", p, s, got, want)
			}
		}
	}
	for _, p := range []string{
		"^workspaces/[A-Za-z0-9_][A-Za-z0-9_-]{0,63}/reports/[A-Za-z0-9_-]{1,64}$",
		"^workspaces/[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$",
		"^[A-Za-z0-9_-]{1,64}$",
	} {
		if _, ok := namepattern.Compile(p); !ok {
			t.Errorf("Compile(%s) refused a pattern of the hot path", p)
		}
	}
	t.Logf("%d contract patterns compiled", compiled)
}

// TestCompileRefusesWhatItCannotMatchPlainly lists patterns that need a real
// regular-expression engine.
func TestCompileRefusesWhatItCannotMatchPlainly(t *testing.T) {
	for _, p := range []string{
		"",                     // matches everything
		"^$",                   // nothing to walk
		"workspaces/[a-z]+$",   // not anchored at the start
		"^workspaces/[a-z]+",   // not anchored at the end
		"^(reports|datasets)$", // alternation
		"^[a-z]*[a-z0-9]+$",    // a variable class followed by an overlapping one
		"^[a-z]{1,3}a$",        // … or by a literal it could swallow
		"^[a-z]*[0-9]*$",       // … or by one that may be empty
		"^(?i)abc$",            // case folding
		"^[a-zä]+$",            // non-ASCII
		"^a+?$",                // non-greedy
		"^[",                   // not a pattern
	} {
		if _, ok := namepattern.Compile(p); ok {
			t.Errorf("Compile(%q) accepted it", p)
		}
	}
}

// FuzzMatch checks Match against regexp on every compiled contract pattern
// for any input: `go test -fuzz FuzzMatch ./internal/namepattern`.
func FuzzMatch(f *testing.F) {
	for _, s := range samples() {
		f.Add(s)
	}
	type pair struct {
		m  *namepattern.Matcher
		re *regexp.Regexp
	}
	var pairs []pair
	for _, p := range contractPatterns(f) {
		if m, ok := namepattern.Compile(p); ok {
			pairs = append(pairs, pair{m, regexp.MustCompile(p)})
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pairs {
			if got, want := p.m.Match(s), p.re.MatchString(s); got != want {
				t.Fatalf("pattern %s on %q: Match = %v, regexp = %v", p.re, s, got, want)
			}
		}
	})
}

// BenchmarkMatch compares Match with regexp on a report name.
func BenchmarkMatch(b *testing.B) {
	const p = "^workspaces/[A-Za-z0-9_][A-Za-z0-9_-]{0,63}/reports/[A-Za-z0-9_-]{1,64}$"
	const name = "workspaces/parch_and_posey/reports/849c9a32d24b"
	m, _ := namepattern.Compile(p)
	re := regexp.MustCompile(p)
	b.Run("namepattern", func(b *testing.B) {
		for b.Loop() {
			if !m.Match(name) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			if !re.MatchString(name) {
				b.Fatal("no match")
			}
		}
	})
}
