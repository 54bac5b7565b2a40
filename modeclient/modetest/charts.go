package modetest

import (
	"cmp"
	"net/http"
	"time"
)

// Charts of a query: list and get (Mode's API has no operation that writes a chart; charts are
// made in Mode's editor). A chart belongs to one query and plots some of its columns: the seeded
// demo queries have one chart each (seed.go), a query created through the API has none, and
// deleting a query deletes its charts.
//
// Mode's document gives a chart two descriptions of itself and defines neither beyond its
// required keys. The emulator's reading:
//   - "view" (Mode's older chart settings): selectedChart and chartIcon name the chart type (bar,
//     bigNumber, line, linePlusBar, scatter, pie, area, pivotTable), chartTitle its title, and the
//     object named after the selected type holds what it plots ({"x": column, "y": [columns],
//     "color": column}); the other types' objects are empty.
//   - "view_vegas" (the newer, Vega-Lite-like description): title, chartType (bigValue for a big
//     number) and "encoding", one channel per role: {"x": {"field", "type"}, "y": [{"field",
//     "type", "aggregate"}…], "color": {…}} (a pie plots "theta" and "color", a big number
//     "text").

// Chart types, as Mode's VizView names its keys.
const (
	chartBar         = "bar"
	chartBigNumber   = "bigNumber"
	chartLine        = "line"
	chartLinePlusBar = "linePlusBar"
	chartScatter     = "scatter"
	chartPie         = "pie"
	chartArea        = "area"
	chartPivotTable  = "pivotTable"
)

// chartTypes are VizView's chart types, in the order of Mode's document.
var chartTypes = []string{chartBar, chartBigNumber, chartLine, chartLinePlusBar, chartScatter, chartPie, chartArea, chartPivotTable}

// chartViewVersion is the version of the view description the emulator writes.
const chartViewVersion = 2

type chart struct {
	id        int // Mode's numeric id (the Metadata API's)
	token     string
	chartType string   // one of chartTypes
	title     string   //
	x         string   // the column along the x axis (a pie's slices, a pivot table's rows); "" for a big number
	y         []string // the columns plotted (a pie's sizes, a big number's value)
	color     string   // the column that splits series by color (a pie's slices, a pivot table's columns), if any
	aggregate string   // how y is aggregated: "sum" when empty
	creator   string
	createdAt time.Time
	updatedAt time.Time
}

func (q *query) chart(token string) *chart {
	for _, c := range q.charts {
		if c.token == token {
			return c
		}
	}
	return nil
}

// chartCount is how many charts the queries of rep have (a report's chart_count).
func (rep *report) chartCount() int {
	n := 0
	for _, q := range rep.queries {
		n += len(q.charts)
	}
	return n
}

type vegasJSON struct {
	Title     string         `json:"title"`
	Format    map[string]any `json:"format"`
	Encoding  map[string]any `json:"encoding"`
	ChartType string         `json:"chartType"`
}

type chartJSON struct {
	Token             string         `json:"token"`
	View              map[string]any `json:"view"`
	ViewVersion       int            `json:"view_version"`
	ViewVegas         vegasJSON      `json:"view_vegas"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	ColorPaletteToken *string        `json:"color_palette_token"` // null: the workspace's default palette
	SwitchViewToken   *string        `json:"switch_view_token"`
	Links             links          `json:"_links"`
}

// vegaType is the Vega-Lite type of a column a chart plots along role.
func vegaType(c *chart, role string) string {
	switch {
	case role == "x" && (c.chartType == chartLine || c.chartType == chartArea || c.chartType == chartLinePlusBar):
		return "temporal"
	case role == "x" && c.chartType == chartScatter:
		return "quantitative"
	case role == "x" || role == "color":
		return "nominal"
	}
	return "quantitative"
}

func (e *Emulator) chartJSON(rep *report, q *query, c *chart) chartJSON {
	ws := rep.ws.account.username
	self := api(ws, "reports", rep.token, "queries", q.token, "charts", c.token)

	view := map[string]any{"selectedChart": c.chartType, "chartIcon": c.chartType, "chartTitle": c.title}
	for _, t := range chartTypes {
		view[t] = map[string]any{}
	}
	plotted := map[string]any{"y": append([]string{}, c.y...)}
	if c.x != "" {
		plotted["x"] = c.x
	}
	if c.color != "" {
		plotted["color"] = c.color
	}
	view[c.chartType] = plotted

	enc := map[string]any{}
	ys := make([]map[string]string, 0, len(c.y))
	for _, y := range c.y {
		ys = append(ys, map[string]string{"field": y, "type": vegaType(c, "y"), "aggregate": cmp.Or(c.aggregate, "sum")})
	}
	vegasType := c.chartType
	switch c.chartType {
	case chartBigNumber:
		vegasType = "bigValue"
		enc["text"] = ys[0]
	case chartPie:
		enc["theta"] = ys[0]
	default:
		enc["y"] = ys
	}
	if c.x != "" {
		enc["x"] = map[string]string{"field": c.x, "type": vegaType(c, "x")}
	}
	if c.color != "" {
		enc["color"] = map[string]string{"field": c.color, "type": vegaType(c, "color")}
	}

	runViz := web(ws, "reports", rep.token, "viz", c.token)
	if rep.lastSuccessRunTok != "" {
		runViz = web(ws, "reports", rep.token, "runs", rep.lastSuccessRunTok, "viz", c.token)
	}
	return chartJSON{
		Token: c.token, View: view, ViewVersion: chartViewVersion,
		ViewVegas: vegasJSON{Title: c.title, Format: map[string]any{}, Encoding: enc, ChartType: vegasType},
		CreatedAt: formatTime(c.createdAt), UpdatedAt: formatTime(c.updatedAt),
		Links: links{
			"self":           href(self),
			"report_viz_web": href(web(ws, "reports", rep.token, "viz", c.token)),
			// The chart's image, for a person (Mode's page, not its API).
			"preview":            href(web(ws, "reports", rep.token, "viz", c.token, "preview.png")),
			"report_run_viz_web": href(runViz),
			"creator":            href(api(c.creator)),
		},
	}
}

// listCharts answers a query's charts, oldest first (404 for an unknown report or query).
func (e *Emulator) listCharts(w http.ResponseWriter, r *http.Request) {
	listOfReport(e, w, r, "charts", func(rep *report) ([]chartJSON, int, string) {
		q := rep.query(r.PathValue("query"))
		if q == nil {
			return nil, http.StatusNotFound, "Query not found"
		}
		all := make([]chartJSON, 0, len(q.charts))
		for _, c := range q.charts {
			all = append(all, e.chartJSON(rep, q, c))
		}
		return all, 0, ""
	})
}

func (e *Emulator) getChart(w http.ResponseWriter, r *http.Request) {
	e.withQuery(w, r, func(rep *report, q *query) (int, any, string) {
		c := q.chart(r.PathValue("chart"))
		if c == nil {
			return http.StatusNotFound, nil, "Chart not found"
		}
		return http.StatusOK, e.chartJSON(rep, q, c), ""
	})
}
