// Schemas of the API key verbs: scopes, the request that creates a key, and what is shown of one.
import { z } from "zod";
import { CollectionName } from "../collections/schemas";

const INT4_MAX = 2_147_483_647;

// insights: the question text and usage in the insights views (admin includes it).
export const SCOPES = ["ask", "search", "ingest", "admin", "insights"] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/** A browser origin: scheme, host and optional port, nothing else ("https://help.example.com"). */
export const WebOrigin = z
  .string()
  .max(300)
  .regex(
    /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:]+\](:\d{1,5})?$/i,
    "an origin such as https://help.example.com",
  )
  .transform((origin) => origin.toLowerCase());

export const CreateKeyRequest = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.@ -]+$/, "letters, digits, space, '.', '@', '-' or '_'"),
    scopes: z.array(Scope).min(1),
    /** Omitted: every collection. */
    collections: z.array(CollectionName).min(1).max(1000).optional(),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
    // The column is an int4.
    dailyTokenLimit: z.number().int().min(1).max(INT4_MAX).optional(),
    /**
     * A publishable key (the <lore-ask> widget, shipped in a web page): browsers on these
     * origins get CORS for it, and it must be limited to the ask scope and one collection.
     */
    allowedOrigins: z.array(WebOrigin).min(1).max(100).optional(),
  })
  .strict()
  .refine(
    (request) =>
      !request.allowedOrigins ||
      (request.scopes.every((scope) => scope === "ask") && request.collections?.length === 1),
    {
      message: "a key with allowedOrigins is public: give it only the ask scope and one collection",
      path: ["allowedOrigins"],
    },
  );
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  collections: z.array(z.string()).nullable(),
  rateLimitPerMinute: z.number().int().nullable(),
  dailyTokenLimit: z.number().int().nullable(),
  allowedOrigins: z.array(z.string()).nullable().optional(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;
