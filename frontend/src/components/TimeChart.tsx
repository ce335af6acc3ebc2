// One time-series chart (uPlot, canvas). Lines are bucket means, the shaded envelope the bucket
// min..max; horizontal bands (ISO zones, risk cut-offs, the healthy band) and incident markers are
// drawn under and over the data. Charts with the same syncKey share the crosshair; dragging over
// a chart selects a period and sets the page's time range to it.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { fixed, fmt, QUANTITIES, type Quantity } from "../format/numbers";
import { fmtTime, wall, type Zone } from "../format/time";

export interface ChartLine {
  label: string;
  color: string;
  mean: (number | null)[];
  min?: (number | null)[];
  max?: (number | null)[];
}

export interface Band {
  from: number;
  to: number;
  color: string;
  label: string;
}

export interface Marker {
  t: number; // seconds
  label: string;
  color: string;
}

export interface TimeChartProps {
  id: string;
  title: string;
  quantity: Quantity;
  t: number[];
  lines: ChartLine[];
  bands?: Band[];
  markers?: Marker[];
  zone: Zone;
  syncKey: string;
  xRange: [number, number]; // seconds
  yRange?: [number, number];
  height?: number;
  onZoom?: (startMs: number, endMs: number) => void;
}

// defaults that keep their identity across renders (a new [] would rebuild the chart each time)
const NO_BANDS: Band[] = [];
const NO_MARKERS: Marker[] = [];

/** A band's rectangle in canvas pixels, clipped to the plot; null when it is outside. */
function bandRect(u: uPlot, b: Band): { left: number; width: number; top: number; bottom: number } | null {
  const { left, top, width, height } = u.bbox;
  const y1 = u.valToPos(b.to, "y", true);
  const y0 = u.valToPos(b.from, "y", true);
  const yTop = Math.max(top, Math.min(y0, y1));
  const yBot = Math.min(top + height, Math.max(y0, y1));
  return yBot <= yTop ? null : { left, width, top: yTop, bottom: yBot };
}

function tickLabel(zone: Zone, spanS: number) {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (s: number) => {
    const w = wall(s * 1000, zone);
    return spanS > 2 * 86400 ? `${pad(w.d)}/${pad(w.mo)} ${pad(w.h)}:${pad(w.mi)}` : `${pad(w.h)}:${pad(w.mi)}`;
  };
}

export function TimeChart(props: TimeChartProps) {
  const { id, title, quantity, t, lines, bands = NO_BANDS, markers = NO_MARKERS, zone, syncKey, xRange, yRange, height = 180 } = props;
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const onZoom = useRef(props.onZoom);
  onZoom.current = props.onZoom;

  // The same columns (by identity: a 304 or an unchanged answer keeps them) give the same data
  // object, so a parent's re-render with new `lines` wrappers redraws nothing.
  const cols: (number | null)[][] = [];
  for (const l of lines) {
    cols.push(l.mean);
    if (l.min && l.max) cols.push(l.max, l.min);
  }
  const last = useRef<uPlot.AlignedData | null>(null);
  const prev = last.current;
  const same = prev !== null && prev.length === cols.length + 1 && prev[0] === t && cols.every((c, i) => prev[i + 1] === c);
  const data = same ? prev : ([t, ...cols] as uPlot.AlignedData);
  last.current = data;
  const zoneKey = zone.kind === "utc" ? "utc" : zone.timeZone;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const series: uPlot.Series[] = [{ label: "Time", value: (_u, v) => (v == null ? "—" : fmtTime(v * 1000, zone)) }];
    const uBands: uPlot.Band[] = [];
    for (const l of lines) {
      const meanIdx = series.length;
      series.push({
        label: l.label,
        stroke: l.color,
        width: 1.6,
        spanGaps: false,
        value: (_u, v) => fmt(v, quantity),
      });
      if (l.min && l.max) {
        series.push({ label: `${l.label} max`, class: "envelope", stroke: "transparent", points: { show: false }, value: (_u, v) => fmt(v, quantity) });
        series.push({ label: `${l.label} min`, class: "envelope", stroke: "transparent", points: { show: false }, value: (_u, v) => fmt(v, quantity) });
        uBands.push({ series: [meanIdx + 1, meanIdx + 2], fill: `${l.color}33` });
      }
    }
    const spanS = xRange[1] - xRange[0];
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      series,
      bands: uBands,
      legend: { show: true, live: true },
      cursor: {
        sync: { key: syncKey, setSeries: false },
        drag: { x: true, y: false, setScale: false },
        focus: { prox: 16 },
      },
      scales: {
        x: { time: false, range: () => xRange },
        y: yRange ? { range: () => yRange } : { auto: true },
      },
      axes: [
        { values: (_u, splits) => splits.map(tickLabel(zone, spanS)), stroke: "#4a5a6a", grid: { stroke: "#eef1f4" }, size: 34 },
        {
          stroke: "#4a5a6a",
          grid: { stroke: "#eef1f4" },
          size: 56,
          values: (_u, splits) => splits.map((v) => fixed(v, QUANTITIES[quantity].digits)),
        },
      ],
      hooks: {
        drawClear: [
          (u) => {
            const ctx = u.ctx;
            for (const b of bands) {
              const r = bandRect(u, b);
              if (!r) continue;
              ctx.fillStyle = b.color;
              ctx.fillRect(r.left, r.top, r.width, r.bottom - r.top);
            }
          },
        ],
        draw: [
          // band names after the grid and the series (drawn over the bands, they crossed the
          // text); a name goes only where its plate fits inside its band and clears the last one
          (u) => {
            const ctx = u.ctx;
            const dpr = devicePixelRatio;
            const plateH = 14 * dpr;
            ctx.font = `600 ${10.5 * dpr}px "Inter Variable", Inter, system-ui, sans-serif`;
            ctx.textAlign = "left";
            ctx.textBaseline = "middle";
            let lastBottom = -Infinity;
            const placed = bands
              .map((b) => ({ b, r: bandRect(u, b) }))
              .filter((x): x is { b: Band; r: NonNullable<ReturnType<typeof bandRect>> } => x.r !== null)
              .sort((x, y) => x.r.top - y.r.top);
            for (const { b, r } of placed) {
              const y = r.top + 2 * dpr;
              if (r.bottom - r.top < plateH + 2 * dpr || y < lastBottom + dpr) continue;
              const w = ctx.measureText(b.label).width + 8 * dpr;
              ctx.fillStyle = "rgba(255,255,255,0.85)";
              ctx.fillRect(r.left + 4 * dpr, y, w, plateH);
              ctx.fillStyle = "#2a3a4a";
              ctx.fillText(b.label, r.left + 8 * dpr, y + plateH / 2);
              lastBottom = y + plateH;
            }
          },
          (u) => {
            const ctx = u.ctx;
            const { top, height: h } = u.bbox;
            for (const m of markers) {
              const x = u.valToPos(m.t, "x", true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.strokeStyle = m.color;
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + h);
              ctx.stroke();
              ctx.setLineDash([]);
              ctx.fillStyle = m.color;
              ctx.beginPath();
              ctx.moveTo(x - 5 * devicePixelRatio, top);
              ctx.lineTo(x + 5 * devicePixelRatio, top);
              ctx.lineTo(x, top + 8 * devicePixelRatio);
              ctx.fill();
            }
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const a = u.posToVal(u.select.left, "x");
            const b = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom.current?.(a * 1000, b * 1000);
          },
        ],
      },
    };
    const chart = new uPlot(opts, data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Rebuilt when what is drawn changes; same data object: no redraw.
  }, [data, bands, markers, zoneKey, syncKey, xRange[0], xRange[1], yRange?.[0], yRange?.[1], quantity, height]); // eslint-disable-line

  const latest = [...(lines[0]?.mean ?? [])].reverse().find((v) => v !== null) ?? null;
  const summary = `${title}: ${t.length} points from ${fmtTime(xRange[0] * 1000, zone)} to ${fmtTime(
    xRange[1] * 1000,
    zone,
  )}; latest ${fmt(latest, quantity)}${markers.length ? `; ${markers.length} incident marker(s)` : ""}`;
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">
        {title}
        {t.length === 0 && <span className="muted"> · no data in this range</span>}
      </figcaption>
      <div ref={host} className="chart-canvas" role="img" aria-label={summary} data-points={t.length} />
    </figure>
  );
}
