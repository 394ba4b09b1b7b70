// Types for the part of @joplin/turndown-plugin-gfm Lore uses (the package ships none).
declare module "@joplin/turndown-plugin-gfm" {
  import type TurndownService from "turndown";

  /** Converts HTML tables to GitHub-flavoured markdown tables (a header row, then the rows). */
  export function tables(service: TurndownService): void;
}
