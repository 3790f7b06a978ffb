/**
 * Which endpoint URLs Herald will call. On Workers there is no DNS API, so
 * only what the URL itself says is checked: the scheme, and a host that is
 * an IP literal in a private, loopback, link-local, CGNAT or unspecified
 * range (IPv4, IPv6, IPv4-mapped IPv6) or a name that means this machine or
 * its network (`localhost`, `*.localhost`, `*.local`, `*.internal`, a
 * single label). A public name that resolves to a private address is not
 * caught here.
 */
export type UrlVerdict = { ok: true; url: string } | {
  ok: false;
  reason: string;
};

export function checkEndpointUrl(
  raw: string,
  opts: { allowLoopback: boolean },
): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `"${raw}" is not a URL` };
  }
  if (url.username || url.password) {
    return { ok: false, reason: "The URL must not carry credentials" };
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const loopback = isLoopback(host);
  // The local stack's receivers listen on loopback, over plain http.
  if (loopback && opts.allowLoopback) return { ok: true, url: url.href };
  if (url.protocol !== "https:") {
    return { ok: false, reason: "The URL must use https:" };
  }
  if (loopback || isPrivateHost(host)) {
    return {
      ok: false,
      reason: `The host "${host}" is private, loopback or link-local`,
    };
  }
  return { ok: true, url: url.href };
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "::1") return true;
  const v4 = ipv4Of(host);
  return v4 !== null && v4[0] === 127;
}

function isPrivateHost(host: string): boolean {
  if (!host.includes(".") && !host.includes(":")) return true;
  if (/\.(local|internal|lan|home\.arpa)$/.test(host)) return true;
  const v4 = ipv4Of(host);
  if (v4) return privateV4(v4);
  if (host.includes(":")) return privateV6(host);
  return false;
}

function privateV4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return a === 0 || a === 10 || a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224; // multicast, reserved, broadcast
}

function privateV6(host: string): boolean {
  if (host === "::" || host === "::1") return true;
  const mapped = /^::ffff:(.+)$/.exec(host)?.[1];
  if (mapped !== undefined) {
    const v4 = ipv4Of(mapped) ?? hexMapped(mapped);
    return v4 === null || privateV4(v4);
  }
  const first = parseInt(host.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00; // multicast
}

/** `::ffff:7f00:1`, as URL normalises a mapped IPv4 address. */
function hexMapped(tail: string): number[] | null {
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
  if (!m) return null;
  const hi = parseInt(m[1] ?? "0", 16);
  const lo = parseInt(m[2] ?? "0", 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

/** The four octets of a dotted IPv4 host (URL has normalised it), or null. */
function ipv4Of(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}
