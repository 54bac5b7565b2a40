// A query result as a table and as a bar chart (inline SVG, no chart library).
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";

import { Column_Type, type Column, type Row } from "@gen/modeplatform/v1/report_pb.js";
import { h, s } from "./dom.js";

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** Whether a column holds identifiers (id, order_id, …): shown without grouping, never charted by default. */
function isIdColumn(col: Column): boolean {
  return /(^|_)id$/i.test(col.name);
}

/** A cell's text. */
export function formatValue(v: Value | undefined, col: Column): string {
  if (v === undefined) {
    return "null";
  }
  switch (v.kind.case) {
    case undefined:
    case "nullValue":
      return "null";
    case "numberValue":
      return isIdColumn(col) && Number.isInteger(v.kind.value) ? String(v.kind.value) : numberFormat.format(v.kind.value);
    case "stringValue":
      return v.kind.value;
    case "boolValue":
      return String(v.kind.value);
    default:
      return JSON.stringify(toJson(ValueSchema, v));
  }
}

export function columnTypeName(t: Column_Type): string {
  return (Column_Type[t] ?? "UNSPECIFIED").toLowerCase();
}

/** The result as a table: a <th> per column, a row per row. */
export function renderTable(columns: Column[], rows: Row[], caption: string): HTMLTableElement {
  const numeric = columns.map((c) => c.type === Column_Type.NUMBER);
  return h(
    "table",
    { class: "results", id: "results-table" },
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...columns.map((c, i) =>
          h("th", { scope: "col", class: numeric[i] ? "num" : null, title: columnTypeName(c.type) }, c.name),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      ...rows.map((r) =>
        h(
          "tr",
          {},
          ...columns.map((c, i) => {
            const v = r.values[i];
            const isNull = v === undefined || v.kind.case === "nullValue" || v.kind.case === undefined;
            return h("td", { class: [numeric[i] ? "num" : "", isNull ? "null" : ""].join(" ").trim() || null }, formatValue(v, c));
          }),
        ),
      ),
    ),
  );
}

/** The columns a chart can label its bars by (text, dates), and measure them by (numbers). */
export function chartColumns(columns: Column[]): { labels: number[]; values: number[] } {
  const labels: number[] = [];
  const values: number[] = [];
  columns.forEach((c, i) => {
    if (c.type === Column_Type.STRING || c.type === Column_Type.TIMESTAMP) labels.push(i);
    if (c.type === Column_Type.NUMBER) values.push(i);
  });
  // The defaults come first: the first text column, the first number that is not an identifier.
  labels.sort((a, b) => Number(columns[a].type !== Column_Type.STRING) - Number(columns[b].type !== Column_Type.STRING));
  values.sort((a, b) => Number(isIdColumn(columns[a])) - Number(isIdColumn(columns[b])));
  return { labels, values };
}

export const chartTop = 20;

/**
 * The bars: the values per label (summed where rows share a label), the largest chartTop of them,
 * largest first. summed says whether any label had more than one row.
 */
export function chartBars(rows: Row[], labelIdx: number, valueIdx: number): { bars: { label: string; value: number }[]; summed: boolean } {
  const sums = new Map<string, number>();
  let summed = false;
  for (const r of rows) {
    const lv = r.values[labelIdx]?.kind;
    const vv = r.values[valueIdx]?.kind;
    if (vv?.case !== "numberValue" || !Number.isFinite(vv.value)) continue;
    const label = lv?.case === "stringValue" ? lv.value : lv?.case === "numberValue" || lv?.case === "boolValue" ? String(lv.value) : "(null)";
    const prev = sums.get(label);
    summed ||= prev !== undefined;
    sums.set(label, (prev ?? 0) + vv.value);
  }
  const bars = [...sums]
    .map(([label, value]) => ({ label, value }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label))
    .slice(0, chartTop);
  return { bars, summed };
}

/** A horizontal bar chart of bars, as an accessible inline SVG. */
export function renderBarChart(bars: { label: string; value: number }[], title: string): SVGSVGElement {
  const width = 720;
  const labelWidth = 200;
  const valueWidth = 90;
  const barHeight = 18;
  const gap = 6;
  const top = 8;
  const height = top * 2 + bars.length * (barHeight + gap);
  const max = Math.max(0, ...bars.map((b) => b.value));
  const min = Math.min(0, ...bars.map((b) => b.value));
  const plot = width - labelWidth - valueWidth;
  const x = (v: number) => labelWidth + ((v - min) / (max - min || 1)) * plot;
  const truncate = (t: string) => (t.length > 28 ? `${t.slice(0, 27)}…` : t);

  return s(
    "svg",
    {
      id: "results-chart",
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      role: "img",
      "aria-labelledby": "results-chart-title",
    },
    s("title", { id: "results-chart-title" }, title),
    ...bars.map((b, i) => {
      const y = top + i * (barHeight + gap);
      const x0 = x(Math.min(0, b.value));
      const x1 = x(Math.max(0, b.value));
      return s(
        "g",
        { class: "bar" },
        s("title", {}, `${b.label}: ${numberFormat.format(b.value)}`),
        s("text", { x: labelWidth - 8, y: y + barHeight / 2, class: "bar-label", "text-anchor": "end", "dominant-baseline": "middle" }, truncate(b.label)),
        s("rect", { x: x0, y, width: Math.max(1, x1 - x0), height: barHeight, rx: 2 }),
        s("text", { x: x1 + 6, y: y + barHeight / 2, class: "bar-value", "dominant-baseline": "middle" }, numberFormat.format(b.value)),
      );
    }),
  );
}
