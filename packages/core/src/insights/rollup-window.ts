// Reads a report window from the insights rollups (migration 0011): weeks, days, the hours of its first day, and its first partial hour from the log.
import { type SQL, sql } from "drizzle-orm";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The rollups' `hour` of a whole day's row and of a week's (from Monday `day`); 0-23: hours. */
const WHOLE_DAY = 24;
const WHOLE_WEEK = 25;

export interface RollupWindow {
  /** Raw log rows from here… */
  since: string;
  /** …up to this hour boundary; */
  rawUntil: string;
  /** then these hours of that day (none when it is a midnight) from the hour rows; */
  hourDay: string;
  hours: number[];
  /** then the days from `dayFrom` to (not including) `weekFrom` from the day rows; */
  dayFrom: string;
  /** then the weeks from this Monday on (the last one up to now) from the week rows. */
  weekFrom: string;
}

const ceilTo = (time: number, step: number) => Math.ceil(time / step) * step;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * A window starts at any instant (30 days ago, to the millisecond) and ends now, and the rollups
 * count whole hours, days and weeks, so the part before the first hour boundary is summed from the
 * log itself, by the same SQL functions the triggers use: the reports stay exact for any `since`,
 * reading at most an hour of the log. `rawUntil` (a test's choice) moves that split later; far in
 * the future, the whole window is read from the log.
 */
export function rollupWindow(since: Date, rawUntil?: Date): RollupWindow {
  const until = ceilTo(Math.max(since.getTime(), rawUntil?.getTime() ?? 0), HOUR_MS);
  const dayFrom = ceilTo(until, DAY_MS);
  // getUTCDay: 0 is Sunday, 1 Monday.
  const weekFrom = dayFrom + ((8 - new Date(dayFrom).getUTCDay()) % 7) * DAY_MS;
  const firstHour = new Date(until).getUTCHours();
  return {
    since: since.toISOString(),
    rawUntil: new Date(until).toISOString(),
    hourDay: isoDay(until),
    hours:
      until === dayFrom
        ? []
        : Array.from({ length: 24 - firstHour }, (_, index) => firstHour + index),
    dayFrom: isoDay(dayFrom),
    weekFrom: isoDay(weekFrom),
  };
}

/**
 * The window's rows of one rollup table, and the same columns summed from the log by its 0011
 * function, as one UNION ALL. `where(alias)` narrows both (it may use `collection`). A report that
 * shows each day (`byDay`) reads day rows where the others read week rows.
 */
export function windowRows(
  window: RollupWindow,
  rollup: { table: string; fn: string; columns: string; byDay?: boolean },
  where: (alias: string) => SQL,
): SQL {
  const weekFrom = rollup.byDay ? "9999-12-31" : window.weekFrom;
  const columns = (alias: string) =>
    sql.raw(
      rollup.columns
        .split(",")
        .map((column) => `${alias}.${column.trim()}`)
        .join(", "),
    );
  const table = sql.raw(`${rollup.table} t`);
  const weeks = sql`SELECT ${columns("t")} FROM ${table}
    WHERE t.hour = ${WHOLE_WEEK} AND t.day >= ${weekFrom} AND ${where("t")}`;
  const days =
    window.dayFrom === weekFrom
      ? sql``
      : sql` UNION ALL SELECT ${columns("t")} FROM ${table}
          WHERE t.hour = ${WHOLE_DAY} AND t.day >= ${window.dayFrom} AND t.day < ${weekFrom}
            AND ${where("t")}`;
  const hours =
    window.hours.length === 0
      ? sql``
      : sql` UNION ALL SELECT ${columns("t")} FROM ${table}
          WHERE t.hour IN (${sql.raw(window.hours.join(", "))}) AND t.day = ${window.hourDay}
            AND ${where("t")}`;
  const raw = sql` UNION ALL SELECT ${columns("r")} FROM ${sql.raw(rollup.fn)}(ARRAY(
      SELECT q FROM queries q WHERE q.created_at >= ${window.since}
        AND q.created_at < ${window.rawUntil} AND ${where("q")})) r
    WHERE r.hour = ${WHOLE_DAY}`;
  return sql`(${weeks}${days}${hours}${raw})`;
}
