package modetest

import (
	"strings"
	"testing"
)

func TestRenderSQL(t *testing.T) {
	const form = `SELECT * FROM t WHERE r = '{{ region }}' AND n >= {{min_total}}
{% form %}
region:
  type: select
  default: Northeast
min_total:
  type: number
  default: "1000"
{% endform %}`
	tests := []struct {
		name   string
		raw    string
		params map[string]any
		want   string
		eff    map[string]any
	}{
		{"defaults", form, nil, "SELECT * FROM t WHERE r = 'Northeast' AND n >= 1000", map[string]any{"region": "Northeast", "min_total": "1000"}},
		{"given", form, map[string]any{"region": "West", "min_total": 5000.0}, "SELECT * FROM t WHERE r = 'West' AND n >= 5000", map[string]any{"region": "West", "min_total": 5000.0}},
		{"unknown ignored", form, map[string]any{"other": 1.0}, "SELECT * FROM t WHERE r = 'Northeast' AND n >= 1000", map[string]any{"region": "Northeast", "min_total": "1000"}},
		{"no form", "SELECT {{ x }}", map[string]any{"x": true}, "SELECT true", map[string]any{"x": true}},
		{"default filter", "SELECT {{ x | default: 7 }}", nil, "SELECT 7", map[string]any{}},
		{"undeclared unset", "SELECT '{{ y }}'", nil, "SELECT ''", map[string]any{}},
		{"list", "SELECT * FROM t WHERE id IN ({{ ids }})", map[string]any{"ids": []any{1.0, 2.0}}, "SELECT * FROM t WHERE id IN (1,2)", map[string]any{"ids": []any{1.0, 2.0}}},
		{"plain", "SELECT 1", map[string]any{"a": 1.0}, "SELECT 1", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, eff := renderSQL(tt.raw, tt.params)
			if strings.TrimSpace(got) != tt.want {
				t.Errorf("rendered %q, want %q", got, tt.want)
			}
			if len(eff) != len(tt.eff) {
				t.Errorf("effective %v, want %v", eff, tt.eff)
			}
			for k, v := range tt.eff {
				if paramString(eff[k]) != paramString(v) {
					t.Errorf("effective[%s] = %v, want %v", k, eff[k], v)
				}
			}
		})
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"a\nb\tc\x01", `"a\nb\tc\u0001"`},
		{"é✓", `"é✓"`},
		{"\xff", `"\ufffd"`},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
