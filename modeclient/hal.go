package modeclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Mode's payloads disagree with its own spec about JSON types (ids and counts
// typed as strings arrive as numbers, booleans as strings, almost anything
// may be null). The types in this file accept every form seen in practice so
// that one odd field does not fail a whole response. Their errors never quote
// the offending bytes: bodies may carry data the caller must not log.

var (
	errBadInt    = errors.New("modeclient: value is not an integer")
	errBadFloat  = errors.New("modeclient: value is not a number")
	errBadBool   = errors.New("modeclient: value is not a boolean")
	errBadString = errors.New("modeclient: value is not a string")
	errBadTime   = errors.New("modeclient: value is not a timestamp")
)

var jsonNull = []byte("null")

// isNull reports whether b is the JSON literal null (surrounding space allowed).
func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), jsonNull) }

// unquote returns the string value of a JSON string literal, and false when b
// is not a string.
func unquote(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	if inner, ok := plainString(b); ok {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// plainString returns the content of the JSON string literal b when it needs
// no unescaping: quoted, without backslashes, quotes or control characters
// inside, in ASCII. That is nearly every string Mode sends (tokens, hrefs,
// timestamps), which then skip encoding/json. Anything else reports false.
func plainString(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return nil, false
		}
	}
	return inner, true
}

// Int is an integer that Mode sends as a JSON number, a numeric string, an
// empty string or null (the last two decode as 0). Integral floats such as
// 12.0 are accepted.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*n = 0
		return nil
	}
	s, quoted := unquote(b)
	if !quoted {
		s = string(bytes.TrimSpace(b))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if quoted {
			*n = 0
			return nil
		}
		return errBadInt
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f > 1<<62 || f < -(1<<62) {
		return errBadInt
	}
	*n = Int(int64(f))
	return nil
}

// MarshalJSON implements json.Marshaler (as a JSON number).
func (n Int) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(n), 10), nil }

// Limit is a row limit that Mode sends as a number, a numeric string, or
// false, "false", "", null (no limit: 0). true (a limit of unknown size)
// also decodes as 0.
type Limit int64

// UnmarshalJSON implements json.Unmarshaler.
func (l *Limit) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	switch string(t) {
	case "true", "false", `"true"`, `"false"`:
		*l = 0
		return nil
	}
	var n Int
	if err := n.UnmarshalJSON(t); err != nil {
		return err
	}
	*l = Limit(max(n, 0))
	return nil
}

// Float is a number that may arrive as a JSON number, a numeric string or null.
type Float float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*f = 0
		return nil
	}
	s, quoted := unquote(b)
	if !quoted {
		s = string(bytes.TrimSpace(b))
	}
	if quoted && strings.TrimSpace(s) == "" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return errBadFloat
	}
	*f = Float(v)
	return nil
}

// Bool is a boolean that may arrive as true/false, "true"/"false", 0/1 or
// null (false).
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*v = false
		return nil
	}
	s, _ := unquote(b)
	if s == "" {
		s = string(bytes.TrimSpace(b))
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "t", "yes":
		*v = true
	case "false", "0", "f", "no", "", `""`:
		*v = false
	default:
		return errBadBool
	}
	return nil
}

// String is a string that may arrive as a JSON string, a number or boolean
// (kept as its literal text) or null (empty).
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*s = ""
		return nil
	}
	if v, ok := unquote(b); ok {
		*s = String(v)
		return nil
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == '{' || t[0] == '[' {
		return errBadString
	}
	*s = String(t)
	return nil
}

// Time is a Mode timestamp. Mode writes ISO-8601 with milliseconds and Z
// (2024-03-02T11:30:00.123Z); other RFC 3339 forms, a space instead of the
// T, a missing zone (taken as UTC) and a bare date are accepted too. null and
// "" decode as the zero Time.
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		t.Time = time.Time{}
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return errBadTime
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON implements json.Marshaler: Mode's own form, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

// ParseTime parses a timestamp in any form Time accepts; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v, nil
		}
	}
	return time.Time{}, errBadTime
}

// Link is a HAL link. Mode sends {"href": …, "templated": bool}; a bare
// string, an array of links (the first is kept) and null are accepted too.
type Link struct {
	Href      string `json:"href"`
	Templated bool   `json:"templated,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (l *Link) UnmarshalJSON(b []byte) error {
	*l = Link{}
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0 || isNull(t):
		return nil
	case t[0] == '"':
		s, _ := unquote(t)
		l.Href = s
		return nil
	case t[0] == '[':
		var ls []Link
		if err := json.Unmarshal(t, &ls); err != nil {
			return err
		}
		if len(ls) > 0 {
			*l = ls[0]
		}
		return nil
	case t[0] == '{':
		var raw struct {
			Href      String `json:"href"`
			Templated Bool   `json:"templated"`
		}
		if err := json.Unmarshal(t, &raw); err != nil {
			return err
		}
		l.Href, l.Templated = string(raw.Href), bool(raw.Templated)
		return nil
	}
	return errBadString
}

// Links is a HAL _links object, by relation name ("self", "web", "next_page", …).
type Links map[string]Link

// UnmarshalJSON implements json.Unmarshaler; anything but an object decodes
// as no links.
func (ls *Links) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		*ls = nil
		return nil
	}
	if m, ok := decodeLinksFast(t); ok {
		*ls = m
		return nil
	}
	m := map[string]Link{}
	if err := json.Unmarshal(t, &m); err != nil {
		return err
	}
	*ls = m
	return nil
}

// decodeLinksFast decodes a _links object in one pass when it has the shape
// Mode sends: relation names and hrefs that need no unescaping (see
// plainString), each link an object of "href" and "templated", a bare string
// or null. Links are most of a resource's body, and going through
// encoding/json for each of them scans its bytes three more times. Anything
// else (escapes, arrays, other members, numbers, invalid JSON) reports false,
// and UnmarshalJSON decodes it the general way; FuzzLinksFast checks that both
// ways agree wherever this one answers.
func decodeLinksFast(b []byte) (Links, bool) {
	s := linkScanner{b: b}
	if !s.consume('{') {
		return nil, false
	}
	m := make(Links, 16)
	if s.consume('}') {
		return m, s.atEnd()
	}
	for {
		rel, ok := s.plainString()
		if !ok || !s.consume(':') {
			return nil, false
		}
		l, ok := s.link()
		if !ok {
			return nil, false
		}
		m[string(rel)] = l // a repeated relation: the last one wins, as in encoding/json
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return m, s.atEnd()
		}
		return nil, false
	}
}

// linkScanner walks a _links object for decodeLinksFast.
type linkScanner struct {
	b []byte
	i int
}

func (s *linkScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips space and c, reporting whether c was next.
func (s *linkScanner) consume(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// literal skips space and lit, reporting whether lit was next.
func (s *linkScanner) literal(lit string) bool {
	s.skipSpace()
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

func (s *linkScanner) atEnd() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

// plainString reads a string literal that needs no unescaping.
func (s *linkScanner) plainString() ([]byte, bool) {
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(s.b[s.i+1:], '"')
	if end < 0 {
		return nil, false
	}
	lit := s.b[s.i : s.i+end+2]
	inner, ok := plainString(lit)
	if !ok {
		return nil, false
	}
	s.i += len(lit)
	return inner, true
}

// link reads one link: null, a string, or {"href": string|null,
// "templated": true|false|null} in any order.
func (s *linkScanner) link() (Link, bool) {
	if s.literal("null") {
		return Link{}, true
	}
	if href, ok := s.plainString(); ok {
		return Link{Href: string(href)}, true
	}
	if !s.consume('{') {
		return Link{}, false
	}
	var l Link
	if s.consume('}') {
		return l, true
	}
	for {
		name, ok := s.plainString()
		if !ok || !s.consume(':') {
			return Link{}, false
		}
		switch string(name) {
		case "href":
			if href, ok := s.plainString(); ok {
				l.Href = string(href)
			} else if s.literal("null") {
				l.Href = ""
			} else {
				return Link{}, false
			}
		case "templated":
			switch {
			case s.literal("true"):
				l.Templated = true
			case s.literal("false"), s.literal("null"):
				l.Templated = false
			default:
				return Link{}, false
			}
		default:
			return Link{}, false
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return l, true
		}
		return Link{}, false
	}
}

// Href returns the href of the named relation, or "".
func (ls Links) Href(rel string) string { return ls[rel].Href }

// Parameters are a report run's parameter values by name. Mode sends an
// object; a JSON-encoded object in a string and null are accepted too.
type Parameters map[string]any

// UnmarshalJSON implements json.Unmarshaler. Values that are not objects
// (after unwrapping a string) decode as no parameters.
func (p *Parameters) UnmarshalJSON(b []byte) error {
	*p = nil
	t := bytes.TrimSpace(b)
	if s, ok := unquote(t); ok {
		t = bytes.TrimSpace([]byte(s))
	}
	if len(t) == 0 || t[0] != '{' {
		return nil
	}
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*p = m
	return nil
}

// halList is the envelope of every Mode list response.
type halList struct {
	Pagination *pagination `json:"pagination"`
	Links      Links       `json:"_links"`
	Embedded   halEmbedded `json:"_embedded"`
}

// pagination is the part of Mode's paging block the client reads: two of the four fields
// Mode's OpenAPI document lists. Mode also sends page, per_page and count; the client reads
// none of them (the page number it asked for is the page it got).
type pagination struct {
	TotalPages Int `json:"total_pages"`
	TotalCount Int `json:"total_count"`
}

// halEmbedded is an _embedded object; a non-object decodes as empty.
type halEmbedded map[string]json.RawMessage

// UnmarshalJSON implements json.Unmarshaler.
func (e *halEmbedded) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		*e = nil
		return nil
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(t, &m); err != nil {
		return err
	}
	*e = m
	return nil
}

// items returns the embedded array under key, falling back to the only
// array present when key is absent (Mode has renamed collections before).
func (e halEmbedded) items(key string) json.RawMessage {
	if raw, ok := e[key]; ok && !isNull(raw) {
		return raw
	}
	var only json.RawMessage
	for _, raw := range e {
		t := bytes.TrimSpace(raw)
		if len(t) > 0 && t[0] == '[' {
			if only != nil {
				return nil
			}
			only = t
		}
	}
	return only
}
