package service

import (
	"encoding/json"
	"strings"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/modeclient"
)

// resultKind is what a column's values have been so far.
type resultKind uint8

const (
	resultKindNone resultKind = iota // only nulls
	resultKindNumber
	resultKindBool
	resultKindString
	resultKindTimestamp
	resultKindMixed
)

// columnTyper judges column types from the rows it observes.
type columnTyper struct{ kinds []resultKind }

func newColumnTyper(width int) *columnTyper { return &columnTyper{kinds: make([]resultKind, width)} }

// observe merges a row's value kinds into the columns'.
func (t *columnTyper) observe(row modeclient.Row) {
	for i, v := range row {
		if i >= len(t.kinds) {
			break
		}
		k := resultKindOf(v)
		if k == resultKindNone {
			continue
		}
		t.kinds[i] = mergeResultKinds(t.kinds[i], k)
	}
}

// columnType is the contract's type of column i.
func (t *columnTyper) columnType(i int) modeplatformv1.Column_Type {
	switch t.kinds[i] {
	case resultKindNumber:
		return modeplatformv1.Column_TYPE_NUMBER
	case resultKindBool:
		return modeplatformv1.Column_TYPE_BOOLEAN
	case resultKindString:
		return modeplatformv1.Column_TYPE_STRING
	case resultKindTimestamp:
		return modeplatformv1.Column_TYPE_TIMESTAMP
	}
	return modeplatformv1.Column_TYPE_UNSPECIFIED
}

func resultKindOf(v any) resultKind {
	switch x := v.(type) {
	case nil:
		return resultKindNone
	case json.Number:
		return resultKindNumber
	case bool:
		return resultKindBool
	case string:
		if looksLikeResultTimestamp(x) {
			return resultKindTimestamp
		}
		return resultKindString
	}
	return resultKindMixed // objects and arrays: no column type fits
}

// mergeResultKinds combines two kinds of one column: text with timestamps is
// text; any other pair of different kinds is mixed.
func mergeResultKinds(a, b resultKind) resultKind {
	switch {
	case a == resultKindNone || a == b:
		return b
	case (a == resultKindString || a == resultKindTimestamp) && (b == resultKindString || b == resultKindTimestamp):
		return resultKindString
	}
	return resultKindMixed
}

// looksLikeResultTimestamp reports whether s is an ISO-8601 date or point in time
// as Mode writes them (any form modeclient.ParseTime accepts).
func looksLikeResultTimestamp(s string) bool {
	if len(s) < len("2006-01-02") || len(s) > 64 || s[0] < '0' || s[0] > '9' || s[4] != '-' || strings.TrimSpace(s) != s {
		return false
	}
	_, err := modeclient.ParseTime(s)
	return err == nil
}

// columnTypeOfMode maps Mode's name of a column type (a dataset field's:
// integer, float, number, decimal, string, text, boolean, date, datetime,
// timestamp…) to the contract's; an unknown name is TYPE_UNSPECIFIED.
func columnTypeOfMode(t string) modeplatformv1.Column_Type {
	switch strings.ToLower(t) {
	case "integer", "int", "bigint", "float", "double", "number", "decimal", "numeric":
		return modeplatformv1.Column_TYPE_NUMBER
	case "string", "text", "varchar":
		return modeplatformv1.Column_TYPE_STRING
	case "boolean", "bool":
		return modeplatformv1.Column_TYPE_BOOLEAN
	case "date", "datetime", "timestamp", "time":
		return modeplatformv1.Column_TYPE_TIMESTAMP
	}
	return modeplatformv1.Column_TYPE_UNSPECIFIED
}
