package modeclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"
)

// rowDecoder is a streaming reader of Mode's JSON result: an array of flat
// row objects. It replaces encoding/json's Decoder on this path because
// decoding a value through Decoder.Decode costs about seventy allocations a
// row (a token per key, a scanner per value, an error built and dropped per
// number); here a row costs one string holding all its text, its slice, and
// one interface value per string or number. Nested objects and arrays, rare
// in results, are cut out whole and handed to encoding/json.
type rowDecoder struct {
	r    io.Reader
	buf  []byte // buf[pos:end] is read and not yet consumed
	pos  int
	end  int
	off  int64 // stream offset of buf[0]
	rerr error // the error that ended reading (io.EOF at the end)

	// maxRow bounds the JSON text of one row object and maxValue the
	// decoded size of one key or value (strings, numbers, nested values):
	// no row or value is ever buffered whole beyond them. 0: no bound.
	maxRow, maxValue int
	rowStart         int64 // stream offset of the current row's '{'

	text    []byte     // the current row's string and number text
	spans   []rowValue // the current row's values
	keyText []byte     // the current row's keys
	keys    [][2]int   // key i is keyText[keys[i][0]:keys[i][1]]
}

// rowValue is one decoded value of the current row: a kind and, for strings
// and numbers, its text at text[start:end]; for nested values, the value.
type rowValue struct {
	kind       byte // '"' string, '0' number, 't' true, 'f' false, 'n' null, '{' nested
	start, end int
	nested     any
}

const rowReadSize = 32 << 10

func newRowDecoder(r io.Reader) *rowDecoder {
	return &rowDecoder{r: r, buf: make([]byte, rowReadSize)}
}

// errTooLong is returned by the append functions when the text passes its
// limit; the caller knows which limit that was.
var errTooLong = errors.New("value too long")

// rowLimitError is a row or value above the decoder's limits.
type rowLimitError struct {
	value bool   // a value (or key) passed maxValue; else the row passed maxRow
	key   string // the key of that value, when known
	limit int
}

func (e *rowLimitError) Error() string {
	if e.value {
		return fmt.Sprintf("a value is larger than %d bytes", e.limit)
	}
	return fmt.Sprintf("a row is larger than %d bytes", e.limit)
}

// budget is how many more bytes the next key or value may add to its
// buffer, and whether that bound is the value limit (else the row's rest);
// -1: no bound.
func (d *rowDecoder) budget() (n int, value bool) {
	n, value = -1, false
	if d.maxRow > 0 {
		n = d.maxRow - int(d.offset()-d.rowStart)
	}
	if d.maxValue > 0 && (n < 0 || d.maxValue <= n) {
		n, value = d.maxValue, true
	}
	return n, value
}

// limitError is the error for a key or value whose text passed budget.
func (d *rowDecoder) limitError(value bool, key []byte) error {
	if value {
		return &rowLimitError{value: true, key: string(key), limit: d.maxValue}
	}
	return &rowLimitError{limit: d.maxRow}
}

// checkRow fails once the current row's text passes maxRow.
func (d *rowDecoder) checkRow() error {
	if d.maxRow > 0 && d.offset()-d.rowStart > int64(d.maxRow) {
		return &rowLimitError{limit: d.maxRow}
	}
	return nil
}

// rowSyntaxError is a syntax error at a stream offset; the message never quotes
// the input.
type rowSyntaxError struct {
	msg    string
	Offset int64
}

func (e *rowSyntaxError) Error() string { return e.msg }

// offset is the stream offset of the next unread byte.
func (d *rowDecoder) offset() int64 { return d.off + int64(d.pos) }

// fill reads more input; it returns false when there is none (d.rerr says why).
func (d *rowDecoder) fill() bool {
	if d.rerr != nil {
		return false
	}
	if d.pos > 0 {
		n := copy(d.buf, d.buf[d.pos:d.end])
		d.off += int64(d.pos)
		d.pos, d.end = 0, n
	}
	if d.end == len(d.buf) {
		// Only nested values (captured whole) need more than one buffer.
		d.buf = append(d.buf, make([]byte, len(d.buf))...)
	}
	for range 100 {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	d.rerr = io.ErrNoProgress
	return false
}

// eofError is the error for input ending where more was expected.
func (d *rowDecoder) eofError() error {
	if d.rerr == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return d.rerr
}

// peek skips whitespace and returns the next byte without consuming it.
// At the end of the input it returns io.EOF (or the read error).
func (d *rowDecoder) peek() (byte, error) {
	for {
		for d.pos < d.end {
			switch c := d.buf[d.pos]; c {
			case ' ', '\t', '\n', '\r':
				d.pos++
			default:
				return c, nil
			}
		}
		if !d.fill() {
			return 0, d.rerr
		}
	}
}

// next is peek, failing with io.ErrUnexpectedEOF at the end of the input.
func (d *rowDecoder) next() (byte, error) {
	c, err := d.peek()
	if err != nil {
		return 0, d.eofError()
	}
	return c, nil
}

func (d *rowDecoder) syntax(what string) error {
	return &rowSyntaxError{msg: "invalid JSON: " + what, Offset: d.offset()}
}

// expect consumes c (after whitespace).
func (d *rowDecoder) expect(c byte, what string) error {
	got, err := d.next()
	if err != nil {
		return err
	}
	if got != c {
		return d.syntax(what)
	}
	d.pos++
	return nil
}

// appendString consumes a JSON string (the opening quote is next) and
// appends its value to dst, replacing invalid UTF-8 and lone surrogates
// with U+FFFD as encoding/json does. When lim >= 0 and the value passes
// lim bytes it stops with errTooLong, having kept at most about a buffer
// more.
func (d *rowDecoder) appendString(dst []byte, lim int) ([]byte, error) {
	d.pos++ // '"'
	start := len(dst)
	for {
		if lim >= 0 && len(dst)-start > lim {
			return dst, errTooLong
		}
		// Copy the plain run.
		i := d.pos
		for i < d.end {
			c := d.buf[i]
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			i++
		}
		dst = append(dst, d.buf[d.pos:i]...)
		d.pos = i
		if d.pos == d.end {
			if !d.fill() {
				return dst, d.eofError()
			}
			continue
		}
		switch c := d.buf[d.pos]; {
		case c == '"':
			d.pos++
			if lim >= 0 && len(dst)-start > lim {
				return dst, errTooLong
			}
			return dst, nil
		case c < 0x20:
			return dst, d.syntax("control character in string")
		case c == '\\':
			var err error
			if dst, err = d.appendEscape(dst); err != nil {
				return dst, err
			}
		default: // UTF-8
			if !utf8.FullRune(d.buf[d.pos:d.end]) && d.rerr == nil {
				d.fill()
				continue
			}
			r, size := utf8.DecodeRune(d.buf[d.pos:d.end])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, d.buf[d.pos:d.pos+size]...)
			}
			d.pos += size
		}
	}
}

// ensure makes n bytes available at d.pos, or reports the end of input.
func (d *rowDecoder) ensure(n int) error {
	for d.end-d.pos < n {
		if !d.fill() {
			return d.eofError()
		}
	}
	return nil
}

// appendEscape consumes one escape sequence (at the backslash).
func (d *rowDecoder) appendEscape(dst []byte) ([]byte, error) {
	if err := d.ensure(2); err != nil {
		return dst, err
	}
	c := d.buf[d.pos+1]
	switch c {
	case '"', '\\', '/':
		dst = append(dst, c)
	case 'b':
		dst = append(dst, '\b')
	case 'f':
		dst = append(dst, '\f')
	case 'n':
		dst = append(dst, '\n')
	case 'r':
		dst = append(dst, '\r')
	case 't':
		dst = append(dst, '\t')
	case 'u':
		d.pos += 2
		r, err := d.hex4()
		if err != nil {
			return dst, err
		}
		if utf16.IsSurrogate(r) {
			// A pair is \uD8xx\uDCxx; anything else is a lone surrogate.
			if d.ensure(6) == nil && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
				save := d.pos
				d.pos += 2
				r2, err := d.hex4()
				if err != nil {
					return dst, err
				}
				if pr := utf16.DecodeRune(r, r2); pr != utf8.RuneError {
					return utf8.AppendRune(dst, pr), nil
				}
				d.pos = save
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), nil
	default:
		return dst, d.syntax("invalid escape in string")
	}
	d.pos += 2
	return dst, nil
}

// hex4 consumes four hex digits.
func (d *rowDecoder) hex4() (rune, error) {
	if err := d.ensure(4); err != nil {
		return 0, err
	}
	var r rune
	for _, c := range d.buf[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, d.syntax("invalid \\u escape in string")
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, nil
}

// numberByte reports whether c can appear in a JSON number.
func numberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// appendNumber consumes a JSON number and appends its text to dst; past
// lim bytes (when lim >= 0) it stops with errTooLong.
func (d *rowDecoder) appendNumber(dst []byte, lim int) ([]byte, error) {
	start := len(dst)
	for {
		i := d.pos
		for i < d.end && numberByte(d.buf[i]) {
			i++
		}
		dst = append(dst, d.buf[d.pos:i]...)
		d.pos = i
		if lim >= 0 && len(dst)-start > lim {
			return dst, errTooLong
		}
		if i < d.end || !d.fill() {
			break
		}
	}
	if d.rerr != nil && d.rerr != io.EOF && d.pos == d.end {
		return dst, d.rerr
	}
	if !validNumber(dst[start:]) {
		return dst, d.syntax("invalid number")
	}
	return dst, nil
}

// validNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// literal consumes true, false or null.
func (d *rowDecoder) literal(word string) error {
	if err := d.ensure(len(word)); err != nil {
		return err
	}
	if string(d.buf[d.pos:d.pos+len(word)]) != word {
		return d.syntax("invalid literal")
	}
	d.pos += len(word)
	return nil
}

// nested consumes an object or array whole and decodes it with
// encoding/json (numbers as json.Number); past lim bytes of JSON text (when
// lim >= 0) it stops with errTooLong.
func (d *rowDecoder) nested(lim int) (any, error) {
	depth, inString, escaped := 0, false, false
	n := 0 // bytes of the value scanned so far, from d.pos (fill keeps them)
	for {
		if lim >= 0 && n > lim {
			return nil, errTooLong
		}
		if d.pos+n == d.end {
			if !d.fill() {
				return nil, d.eofError()
			}
			continue
		}
		c := d.buf[d.pos+n]
		n++
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth > 0 {
				continue
			}
			start := d.offset()
			raw := d.buf[d.pos : d.pos+n]
			d.pos += n
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) {
					return nil, &rowSyntaxError{msg: "invalid JSON in a nested value", Offset: start + se.Offset}
				}
				return nil, &rowSyntaxError{msg: "invalid nested value", Offset: start}
			}
			return v, nil
		}
	}
}

// value consumes one value of a row into d.spans, its text into d.text.
func (d *rowDecoder) value() error {
	c, err := d.next()
	if err != nil {
		return err
	}
	v := rowValue{kind: c, start: len(d.text)}
	lim, isValue := d.budget()
	switch {
	case c == '"':
		d.text, err = d.appendString(d.text, lim)
	case c == '-' || '0' <= c && c <= '9':
		v.kind = '0'
		d.text, err = d.appendNumber(d.text, lim)
	case c == 't':
		err = d.literal("true")
	case c == 'f':
		err = d.literal("false")
	case c == 'n':
		err = d.literal("null")
	case c == '{' || c == '[':
		v.kind = '{'
		v.nested, err = d.nested(lim)
	default:
		err = d.syntax("unexpected character looking for a value")
	}
	if err == errTooLong {
		var key []byte
		if len(d.keys) > 0 {
			key = d.key(len(d.keys) - 1)
		}
		return d.limitError(isValue, key)
	}
	v.end = len(d.text)
	d.spans = append(d.spans, v)
	return err
}

// readRow reads one row object (its '{' is next): the values into d.spans
// and d.text, the keys into d.keys and d.keyText.
func (d *rowDecoder) readRow() error {
	d.rowStart = d.offset()
	d.pos++ // '{'
	d.text, d.spans = d.text[:0], d.spans[:0]
	d.keyText, d.keys = d.keyText[:0], d.keys[:0]
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == '}' {
		d.pos++
		return nil
	}
	for {
		if c != '"' {
			return d.syntax("row key is not a string")
		}
		if err := d.checkRow(); err != nil {
			return err
		}
		start := len(d.keyText)
		lim, isValue := d.budget()
		if d.keyText, err = d.appendString(d.keyText, lim); err != nil {
			if err == errTooLong {
				return d.limitError(isValue, nil)
			}
			return err
		}
		d.keys = append(d.keys, [2]int{start, len(d.keyText)})
		if err := d.expect(':', "missing colon after a key"); err != nil {
			return err
		}
		if err := d.value(); err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		switch c {
		case ',':
			d.pos++
			if c, err = d.next(); err != nil {
				return err
			}
		case '}':
			d.pos++
			return d.checkRow()
		default:
			return d.syntax("missing comma or closing brace in a row")
		}
	}
}

// key returns key i of the current row; valid until the next row.
func (d *rowDecoder) key(i int) []byte { k := d.keys[i]; return d.keyText[k[0]:k[1]] }

// rowString is the text of the current row, made once per row so that all
// its string values share one allocation.
func (d *rowDecoder) rowString() string { return string(d.text) }

// valueOf returns the decoded value i of the current row; s is rowString().
func (d *rowDecoder) valueOf(i int, s string) any {
	v := d.spans[i]
	switch v.kind {
	case '"':
		return s[v.start:v.end]
	case '0':
		return json.Number(s[v.start:v.end])
	case 't':
		return true
	case 'f':
		return false
	case '{':
		return v.nested
	}
	return nil
}

// decodeRowError turns a decoder failure into the client's error types.
func decodeRowError(route string, err error) error {
	var te *TransportError
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &DecodeError{Method: http.MethodGet, Route: route, Reason: "result ends mid-way", Err: err}
	}
	var se *rowSyntaxError
	if errors.As(err, &se) {
		return &DecodeError{Method: http.MethodGet, Route: route, Reason: "invalid JSON", Offset: se.Offset, Err: err}
	}
	return newDecodeError(http.MethodGet, route, fmt.Errorf("reading the result: %w", err))
}
