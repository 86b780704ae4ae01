/**
 * Inline SVG line charts (no charting library): overlaid curves with axes and a legend.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * One curve: a label and its (x, y) points; nulls are skipped.
 */
export interface ISeries {
  label: string;
  points: [number, number | null][];
}

export interface IChartOptions {
  width?: number;
  height?: number;
  /**
   * A sparkline has no axes, ticks or legend.
   */
  sparkline?: boolean;
  title?: string;
}

/**
 * Draw `series` into a new `<svg>`; each curve gets the class `jp-Artifacts-Series-<i mod 8>`.
 */
export function lineChart(series: ISeries[], options: IChartOptions = {}): SVGSVGElement {
  const width = options.width ?? 320;
  const height = options.height ?? 180;
  const pad = options.sparkline
    ? { left: 1, right: 1, top: 2, bottom: 2 }
    : { left: 44, right: 8, top: options.title ? 20 : 8, bottom: 22 };
  const svg = element('svg', {
    class: `jp-Artifacts-Chart${options.sparkline ? ' jp-mod-sparkline' : ''}`,
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
    role: 'img'
  }) as SVGSVGElement;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (y !== null && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  if (options.title) {
    const title = element('text', { x: String(pad.left), y: '13', class: 'jp-Artifacts-ChartTitle' });
    title.textContent = options.title;
    svg.appendChild(title);
  }
  if (xs.length === 0) {
    return svg;
  }
  const [x0, x1] = Private.extent(xs);
  const [y0, y1] = Private.extent(ys);
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const sy = (y: number) =>
    height - pad.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - pad.top - pad.bottom);
  if (!options.sparkline) {
    svg.appendChild(
      element('path', {
        class: 'jp-Artifacts-ChartAxis',
        d: `M${pad.left},${pad.top}V${height - pad.bottom}H${width - pad.right}`
      })
    );
    for (const [value, y] of [
      [y1, sy(y1)],
      [y0, sy(y0)]
    ]) {
      const tick = element('text', {
        x: String(pad.left - 4),
        y: String(y + 4),
        class: 'jp-Artifacts-ChartTick',
        'text-anchor': 'end'
      });
      tick.textContent = Private.short(value);
      svg.appendChild(tick);
    }
    for (const [value, anchor] of [
      [x0, 'start'],
      [x1, 'end']
    ] as [number, string][]) {
      const tick = element('text', {
        x: String(sx(value)),
        y: String(height - 6),
        class: 'jp-Artifacts-ChartTick',
        'text-anchor': anchor
      });
      tick.textContent = Private.short(value);
      svg.appendChild(tick);
    }
  }
  series.forEach((s, i) => {
    const d = s.points
      .filter(([, y]) => y !== null && Number.isFinite(y))
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y as number).toFixed(1)}`)
      .join('');
    const path = element('path', { d, class: `jp-Artifacts-Curve jp-Artifacts-Series-${i % 8}` });
    const title = element('title', {});
    title.textContent = s.label;
    path.appendChild(title);
    svg.appendChild(path);
  });
  return svg;
}

/**
 * A legend for charts drawn by `lineChart` (HTML, so it wraps).
 */
export function legend(labels: string[]): HTMLElement {
  const node = document.createElement('div');
  node.className = 'jp-Artifacts-Legend';
  labels.forEach((label, i) => {
    const item = document.createElement('span');
    item.className = `jp-Artifacts-LegendItem jp-Artifacts-Series-${i % 8}`;
    item.textContent = label;
    node.appendChild(item);
  });
  return node;
}

function element(tag: string, attributes: Record<string, string>): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  return node;
}

namespace Private {
  export function extent(values: number[]): [number, number] {
    let low = Infinity;
    let high = -Infinity;
    for (const v of values) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    return [low, high];
  }

  export function short(value: number): string {
    if (Number.isInteger(value)) {
      return String(value);
    }
    return Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3
      ? value.toExponential(1)
      : String(Number(value.toPrecision(3)));
  }
}
