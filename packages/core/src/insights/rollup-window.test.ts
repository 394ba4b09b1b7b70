import { describe, expect, it } from "vitest";
import { rollupWindow } from "./rollup-window";

describe("rollupWindow", () => {
  it("reads a mid-hour start raw to the hour, then hours, days to Monday, and weeks", () => {
    // 2026-11-24 is a Tuesday.
    expect(rollupWindow(new Date("2026-11-24T21:17:05.123Z"))).toEqual({
      since: "2026-11-24T21:17:05.123Z",
      rawUntil: "2026-11-24T22:00:00.000Z",
      hourDay: "2026-11-24",
      hours: [22, 23],
      dayFrom: "2026-11-25",
      weekFrom: "2026-11-30",
    });
  });

  it("needs no raw rows, hours or days from a Monday midnight", () => {
    expect(rollupWindow(new Date("2026-11-30T00:00:00Z"))).toMatchObject({
      rawUntil: "2026-11-30T00:00:00.000Z",
      hours: [],
      dayFrom: "2026-11-30",
      weekFrom: "2026-11-30",
    });
  });

  it("reads the last hour of a Sunday raw, then weeks", () => {
    expect(rollupWindow(new Date("2026-11-29T23:30:00Z"))).toMatchObject({
      rawUntil: "2026-11-30T00:00:00.000Z",
      hours: [],
      dayFrom: "2026-11-30",
      weekFrom: "2026-11-30",
    });
  });

  it("moves the raw part to a test's split", () => {
    expect(
      rollupWindow(new Date("2026-11-24T21:17:05Z"), new Date("2999-01-01T00:00:00Z")),
    ).toMatchObject({ rawUntil: "2999-01-01T00:00:00.000Z", hours: [] });
  });
});
