import { describe, expect, it } from "vitest";
import { evidenceUnits } from "./evidence-units";

describe("evidenceUnits", () => {
  it("reads a table row as one unit, each value with its column's header", () => {
    const text = [
      "## Deadlines",
      "",
      "| Step | Who | Deadline |",
      "| --- | --- | --- |",
      "| Approve crew timesheets | Foreman | Monday 10:00 a.m. |",
    ].join("\n");
    expect(evidenceUnits(text, 1).map((unit) => unit.text)).toEqual([
      "Step: Approve crew timesheets; Who: Foreman; Deadline: Monday 10:00 a.m.",
    ]);
  });

  it("keeps a pipe escaped inside a cell as the cell's text", () => {
    const text = ["|     |     |", "| --- | --- |", "| Safety \\| HSE | ext. 4420 |"].join("\n");
    expect(evidenceUnits(text, 1).map((unit) => unit.text)).toEqual(["Safety | HSE; ext. 4420"]);
  });
});
