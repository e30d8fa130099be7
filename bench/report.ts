// The JSON lines every benchmark prints: one line per figure, TCP Lab ("ours") against a baseline run
// in pairs in the same process or session, plus the figures' verdicts at the end.
import { median, pairRatios, round } from './stats';

export interface Figure {
  scenario: string;
  unit: string;
  ours: number;
  raw: number;
  /** Median of the per-pair ratios ours ÷ raw (not the ratio of the medians). */
  ratio: number;
  goal: string;
  met: boolean | null;
  runs: { ours: number[]; raw: number[] };
  /** ours ÷ raw of each pair, in run order. */
  pairRatios: number[];
  [extra: string]: unknown;
}

export function emit(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

export interface PairedOptions {
  /** How each side's runs are summarised into `ours` and `raw` (median unless a ceiling needs the worst run). */
  summarize?: (values: number[]) => number;
  goal: string;
  /** Judged on the median pair ratio and the summarised figure of ours; absent for diagnostics. */
  isMet?: (ratio: number, ours: number) => boolean;
  /** More fields for the line (what the timer measures, sizes, ...). */
  extra?: Record<string, unknown>;
}

/** Collects figures as they are printed, so the run can end with one summary line. */
export class Report {
  private readonly verdicts: Array<{ scenario: string; met: boolean | null }> = [];

  /** Prints one figure from paired runs: ours[i] and raw[i] ran back to back. */
  paired(scenario: string, unit: string, ours: number[], raw: number[], options: PairedOptions): Figure {
    const summarize = options.summarize ?? median;
    const ratio = median(pairRatios(ours, raw));
    const oursValue = summarize(ours);
    const figure: Figure = {
      scenario,
      unit,
      ours: round(oursValue),
      raw: round(summarize(raw)),
      ratio: round(ratio),
      goal: options.goal,
      met: options.isMet ? options.isMet(ratio, oursValue) : null,
      runs: { ours: ours.map((value) => round(value)), raw: raw.map((value) => round(value)) },
      pairRatios: pairRatios(ours, raw).map((value) => round(value)),
      ...options.extra,
    };
    this.verdicts.push({ scenario, met: figure.met });
    emit({ kind: 'figure', ...figure });
    return figure;
  }

  /** Prints a figure that has no baseline (a latency, a memory growth, a check). */
  single(scenario: string, unit: string, value: number, goal: string, met: boolean | null, extra: Record<string, unknown> = {}): void {
    this.verdicts.push({ scenario, met });
    emit({ kind: 'figure', scenario, unit, value: round(value), goal, met, ...extra });
  }

  summary(startedAt: number): void {
    emit({
      kind: 'summary',
      seconds: round((Date.now() - startedAt) / 1000, 1),
      goalsMet: this.verdicts.every((verdict) => verdict.met !== false),
      missed: this.verdicts.filter((verdict) => verdict.met === false).map((verdict) => verdict.scenario),
    });
  }
}
