// Hono context variables shared by every route.
import type { AskResponse, Principal } from "@lore/core";
import type { RequestIdVariables } from "hono/request-id";

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** The authenticated API key; absent when LORE_AUTH=off. */
    principal?: Principal;
    /** Records an answer's stage timings, tokens and cost in the metrics. */
    observeAnswer?: (response: AskResponse) => void;
  };
}
