// What the HTML reports' client script draws (src/web/report-html.ts): bar charts and time series.

/** One chart: categories on x (bars) and one or more named series. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
  readonly unit?: string;
  /** Stack the series (a breakdown) instead of placing them side by side. */
  readonly stacked?: boolean;
}

/** One time-series chart: x in simulated days, one line per series (dashed, and coloured as series `color`, where asked). */
export interface TimeChartSpec {
  readonly id: string;
  readonly title: string;
  readonly xDays: readonly number[];
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[]; readonly dash?: boolean; readonly color?: number }[];
  readonly unit?: string;
}
