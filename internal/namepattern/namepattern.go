// Package namepattern matches strings against the simple regular expressions
// the contract uses for resource names and identifiers, such as
//
//	^workspaces/[A-Za-z0-9_][A-Za-z0-9_-]{0,63}/reports/[A-Za-z0-9_-]{1,64}$
//
// without running a regular-expression engine. Go's regexp package takes
// about a microsecond and a deep stack for such a pattern (its counted
// repetitions expand into a program of a few hundred instructions); a
// Matcher walks the string once, byte by byte. On the server's hot path the
// regular expressions of protovalidate were the largest single cost of a
// cache-hit GetReport (BENCHMARKS.md, issue 18).
//
// Compile accepts only patterns whose meaning is plain: anchored at both
// ends, a sequence of ASCII literals and repeated ASCII character classes,
// where a class of variable length is never followed by something that could
// start with one of its own characters. Such a pattern has one way to match a
// string, which a greedy left-to-right walk finds. Any other pattern (an
// alternation, a group, case folding, non-ASCII) is refused, and the caller
// keeps using the regular expression. The fuzz test checks Matcher against
// regexp on every pattern of the contract.
package namepattern

import (
	"regexp/syntax"
	"strings"
)

// Matcher matches strings against one compiled pattern. The zero value
// matches nothing; use Compile.
type Matcher struct {
	elems []element
}

// element is a literal, or a character class repeated min to max times
// (max < 0: no upper bound).
type element struct {
	literal  string
	class    asciiSet
	min, max int
}

// asciiSet is a set of ASCII bytes.
type asciiSet [2]uint64

func (s *asciiSet) add(b byte)               { s[b>>6] |= 1 << (b & 63) }
func (s *asciiSet) has(b byte) bool          { return b < 128 && s[b>>6]&(1<<(b&63)) != 0 }
func (s *asciiSet) overlaps(o asciiSet) bool { return s[0]&o[0] != 0 || s[1]&o[1] != 0 }

// Compile returns the Matcher of pattern (Perl syntax, as protovalidate and
// Go's regexp read it), or false when pattern is not of the plain form this
// package handles.
func Compile(pattern string) (*Matcher, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil, false
	}
	subs := re.Sub
	if subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return nil, false
	}
	m := &Matcher{}
	for _, sub := range subs[1 : len(subs)-1] {
		el, ok := elementOf(sub)
		if !ok {
			return nil, false
		}
		m.elems = append(m.elems, el)
	}
	if len(m.elems) == 0 {
		return nil, false
	}
	// A class of variable length must end where the next element starts:
	// the next element may not begin with one of its characters.
	for i, el := range m.elems {
		if el.literal != "" || el.min == el.max || i == len(m.elems)-1 {
			continue
		}
		next := m.elems[i+1]
		switch {
		case next.literal != "":
			if el.class.has(next.literal[0]) {
				return nil, false
			}
		case next.min == 0 || el.class.overlaps(next.class):
			return nil, false
		}
	}
	return m, true
}

// elementOf converts one part of the concatenation.
func elementOf(re *syntax.Regexp) (element, bool) {
	if re.Flags&syntax.FoldCase != 0 {
		return element{}, false
	}
	switch re.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= 128 {
				return element{}, false
			}
			b.WriteByte(byte(r))
		}
		return element{literal: b.String()}, b.Len() > 0
	case syntax.OpCharClass:
		set, ok := classOf(re)
		return element{class: set, min: 1, max: 1}, ok
	case syntax.OpRepeat, syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		if len(re.Sub) != 1 || re.Sub[0].Op != syntax.OpCharClass || re.Sub[0].Flags&syntax.FoldCase != 0 || re.Flags&syntax.NonGreedy != 0 {
			return element{}, false
		}
		set, ok := classOf(re.Sub[0])
		el := element{class: set}
		switch re.Op {
		case syntax.OpRepeat:
			el.min, el.max = re.Min, re.Max
		case syntax.OpStar:
			el.min, el.max = 0, -1
		case syntax.OpPlus:
			el.min, el.max = 1, -1
		case syntax.OpQuest:
			el.min, el.max = 0, 1
		}
		return el, ok && (el.max < 0 || el.max >= el.min)
	}
	return element{}, false
}

// classOf returns the set of an ASCII character class.
func classOf(re *syntax.Regexp) (asciiSet, bool) {
	var set asciiSet
	for i := 0; i+1 < len(re.Rune); i += 2 {
		lo, hi := re.Rune[i], re.Rune[i+1]
		if lo < 0 || hi >= 128 {
			return set, false
		}
		for r := lo; r <= hi; r++ {
			set.add(byte(r))
		}
	}
	return set, true
}

// Match reports whether s matches the pattern.
func (m *Matcher) Match(s string) bool {
	if m == nil {
		return false
	}
	i := 0
	for _, el := range m.elems {
		if el.literal != "" {
			if !strings.HasPrefix(s[i:], el.literal) {
				return false
			}
			i += len(el.literal)
			continue
		}
		n := 0
		for i < len(s) && (el.max < 0 || n < el.max) && el.class.has(s[i]) {
			i++
			n++
		}
		if n < el.min {
			return false
		}
	}
	return i == len(s)
}
