// HTTP GET for web sources with an SSRF guard: public addresses only (unless the host is allowed), bounded size, time and redirects.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { LoreError } from "../errors";

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv6");
}

/** Loopback, private, link-local, carrier-grade NAT, multicast or reserved (IPv4-mapped included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

export interface GuardedFetchOptions {
  /** Hosts that may resolve to private addresses (names or IPs, lowercase compared). */
  allowHosts: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Every URL a redirect leads to must also pass this (the source's prefix). */
  allowUrl?: (url: URL) => boolean;
}

export interface FetchedPage {
  status: number;
  /** After redirects. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Why a request was not made; the crawl records it as the page's skip reason. */
export class RefusedRequest extends LoreError {
  constructor(message: string) {
    super("invalid_request", message);
  }
}

function hostAllowed(host: string, options: GuardedFetchOptions): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return options.allowHosts.some((allowed) => allowed.toLowerCase() === bare);
}

/**
 * Resolves as the connection is made and refuses a private answer there, so a name cannot
 * resolve to a public address for a check and a private one for the connection (DNS rebinding).
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const usable = allowPrivate
        ? addresses
        : addresses.filter((entry) => !isPrivateAddress(entry.address));
      if (usable.length === 0) {
        return callback(
          new RefusedRequest(`${hostname} resolves to a private or local address`),
          "",
          0,
        );
      }
      if (options.all) return callback(null, usable);
      const first = usable[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

export async function guardedFetch(
  start: string,
  options: GuardedFetchOptions,
): Promise<FetchedPage> {
  let url = new URL(start);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  for (let redirects = 0; ; redirects += 1) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new RefusedRequest(`${url.href}: only http and https are fetched`);
    }
    if (url.username || url.password)
      throw new RefusedRequest(`${url.origin}: credentials in a URL`);
    const allowPrivate = hostAllowed(url.hostname, options);
    const literal = url.hostname.replace(/^\[|\]$/g, "");
    if (!allowPrivate && isIP(literal) && isPrivateAddress(literal)) {
      throw new RefusedRequest(`${url.href}: a private or local address (not in allowHosts)`);
    }
    const page = await request(url, options, signal, allowPrivate);
    const location = page.headers.location;
    if (page.status < 300 || page.status >= 400 || page.status === 304 || !location) return page;
    if (redirects >= options.maxRedirects) {
      throw new RefusedRequest(`${start}: more than ${options.maxRedirects} redirects`);
    }
    const next = new URL(location, url);
    if (options.allowUrl && !options.allowUrl(next)) {
      throw new RefusedRequest(
        `${url.href} redirects to ${next.href}, outside the source's prefix`,
      );
    }
    url = next;
  }
}

function request(
  url: URL,
  options: GuardedFetchOptions,
  signal: AbortSignal,
  allowPrivate: boolean,
): Promise<FetchedPage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise<FetchedPage>((resolve, reject) => {
    const outgoing = client.get(
      url,
      {
        headers: { "accept-encoding": "identity", ...options.headers },
        lookup: guardedLookup(allowPrivate),
        signal,
      },
      (response) => {
        const parts: Buffer[] = [];
        let size = 0;
        response.on("data", (data: Buffer) => {
          size += data.length;
          if (size > options.maxBytes) {
            response.destroy();
            outgoing.destroy();
            reject(new RefusedRequest(`${url.href}: larger than ${options.maxBytes} bytes`));
            return;
          }
          parts.push(data);
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            url: url.href,
            headers: response.headers,
            body: Buffer.concat(parts).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", (error) => {
      if (error instanceof RefusedRequest) return reject(error);
      if (signal.aborted && !options.signal?.aborted) {
        return reject(new RefusedRequest(`${url.href}: no answer within ${options.timeoutMs} ms`));
      }
      reject(error);
    });
  });
}
