// Source schedules: a cron expression (cron-parser, UTC) or an interval such as "15m"; the next due time after a moment.
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

const INTERVAL = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// Shorter intervals would mostly queue syncs that find nothing new.
const MIN_INTERVAL_MS = 60_000;

function intervalMs(schedule: string): number | undefined {
  const match = INTERVAL.exec(schedule);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export const Schedule = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .superRefine((value, context) => {
    const interval = intervalMs(value);
    if (interval !== undefined) {
      if (interval < MIN_INTERVAL_MS) {
        context.addIssue({ code: "custom", message: "an interval of at least 1m" });
      }
      return;
    }
    try {
      CronExpressionParser.parse(value, { tz: "UTC" });
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `a cron expression ("*/15 * * * *", UTC) or an interval ("30m", "6h", "1d"): ${(error as Error).message}`,
      });
    }
  });

/** The first due time strictly after `after`. */
export function nextRunAfter(schedule: string, after: Date): Date {
  const interval = intervalMs(schedule);
  if (interval !== undefined) return new Date(after.getTime() + interval);
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: "UTC" }).next().toDate();
}
