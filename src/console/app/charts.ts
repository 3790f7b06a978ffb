import { h, s } from "./dom.ts";

/**
 * The console's pictures, drawn by hand as SVG (no chart library): a small
 * time series, the day's 24 × 60 heat map of UTC minutes, and a week's
 * timeline in the user's zone. Each carries a text equivalent (title,
 * aria-label) for screen readers and tests.
 */

export interface Series {
  label: string;
  colour: string;
  points: readonly (number | null)[];
}

/** A small line chart of evenly spaced readings; null is a gap. */
export function lineChart(
  title: string,
  series: readonly Series[],
  unit: string,
): HTMLElement {
  const W = 300;
  const H = 80;
  const all = series.flatMap((x) => x.points.filter((p) => p !== null));
  const max = Math.max(1e-9, ...all);
  const n = Math.max(2, ...series.map((x) => x.points.length));
  const x = (i: number) => (i / (n - 1)) * W;
  const y = (v: number) => H - (v / max) * (H - 4) - 2;
  const paths = series.map((line) => {
    let d = "";
    let pen = false;
    line.points.forEach((p, i) => {
      if (p === null) return void (pen = false);
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(p).toFixed(1)}`;
      pen = true;
    });
    return s("path", {
      d,
      fill: "none",
      stroke: line.colour,
      "stroke-width": 2,
      "vector-effect": "non-scaling-stroke",
    });
  });
  const latest = series.map((line) => {
    const last = [...line.points].reverse().find((p) => p !== null);
    return `${line.label} ${last === undefined ? "–" : fmt(last)}${unit}`;
  }).join(" · ");
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, title, " ", h("span", { class: "meta" }, latest)),
    s(
      "svg",
      {
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: "none",
        role: "img",
        "aria-label": `${title}: ${latest}; peak ${fmt(max)}${unit}`,
      },
      s("line", { x1: 0, x2: W, y1: H - 1, y2: H - 1, class: "axis" }),
      ...paths,
    ),
  );
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3);
}

export interface SlotCell {
  slot: string;
  members: number;
  paused: boolean;
}

/** The UTC day as 24 rows of 60 minutes, each shaded by its members. */
export function heatMap(cells: readonly SlotCell[]): SVGElement {
  const max = Math.max(1, ...cells.map((c) => c.members));
  const rects = cells.map((c) => {
    const hour = Number(c.slot.slice(0, 2));
    const minute = Number(c.slot.slice(2, 4));
    // A log scale: one member is visible next to a thousand.
    const shade = 0.25 + 0.75 * Math.log1p(c.members) / Math.log1p(max);
    return s(
      "rect",
      {
        x: minute * 10 + 30,
        y: hour * 10,
        width: 10,
        height: 10,
        class: c.paused ? "cell paused" : "cell",
        "fill-opacity": shade.toFixed(2),
        "data-slot": c.slot,
      },
      s(
        "title",
        {},
        `${c.slot.slice(0, 2)}:${c.slot.slice(2)} UTC — ${c.members} ` +
          `member${c.members === 1 ? "" : "s"}${c.paused ? ", paused" : ""}`,
      ),
    );
  });
  const hours = Array.from(
    { length: 24 },
    (_, hour) =>
      s(
        "text",
        { x: 0, y: hour * 10 + 8, class: "tick" },
        String(hour).padStart(2, "0"),
      ),
  );
  const grid = s("rect", {
    x: 30,
    y: 0,
    width: 600,
    height: 240,
    class: "grid",
  });
  return s(
    "svg",
    {
      viewBox: "0 0 630 240",
      class: "heatmap",
      role: "img",
      "aria-label": `Busy UTC minutes: ${cells.length}; busiest has ${max}`,
    },
    grid,
    ...hours,
    ...rects,
  );
}

export interface TimelineItem {
  type: string;
  at: string;
  localDate: string;
  localTime: string;
  deferredBy: string | null;
}

/**
 * A week in the user's zone: one row per local date, each occurrence a
 * mark at its local time of delivery (hollow when quiet hours deferred it).
 */
export function timeline(
  items: readonly TimelineItem[],
  timeZone: string,
): SVGElement {
  const local = (iso: string) => {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(iso));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
    return {
      date: `${get("year")}-${get("month")}-${get("day")}`,
      minutes: Number(get("hour")) * 60 + Number(get("minute")),
    };
  };
  const dates = [...new Set(items.map((i) => local(i.at).date))].sort();
  const types = [...new Set(items.map((i) => i.type))];
  const rowH = 22;
  const X0 = 80;
  const W = 480;
  const marks = items.map((i) => {
    const at = local(i.at);
    const row = dates.indexOf(at.date);
    const colour = `hsl(${(types.indexOf(i.type) * 137) % 360} 60% 42%)`;
    return s(
      "circle",
      {
        cx: X0 + (at.minutes / 1440) * W,
        cy: row * rowH + 11,
        r: 5,
        fill: i.deferredBy ? "none" : colour,
        stroke: colour,
        "stroke-width": 2,
      },
      s(
        "title",
        {},
        `${i.type} ${i.localDate} ${i.localTime}` +
          (i.deferredBy ? ` (deferred by quiet hours)` : ""),
      ),
    );
  });
  const rows = dates.map((date, row) =>
    s("text", { x: 0, y: row * rowH + 15, class: "tick" }, date)
  );
  const hours = [0, 6, 12, 18, 24].map((hour) =>
    s("line", {
      x1: X0 + (hour / 24) * W,
      x2: X0 + (hour / 24) * W,
      y1: 0,
      y2: dates.length * rowH,
      class: "axis",
    })
  );
  return s(
    "svg",
    {
      viewBox: `0 0 ${X0 + W + 4} ${Math.max(1, dates.length) * rowH}`,
      class: "timeline",
      role: "img",
      "aria-label":
        `${items.length} occurrences over ${dates.length} days in ${timeZone}`,
    },
    ...hours,
    ...rows,
    ...marks,
  );
}
