import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

/** Allowed-source check; an empty list allows everyone. IPv4-mapped IPv6 addresses are matched as IPv4. */
export function makeSourceFilter(cidrs: string[]): (addr: string | undefined) => boolean {
  if (cidrs.length === 0) return () => true;
  const bl = new BlockList();
  for (const c of cidrs) {
    const [ip, bits] = c.split('/') as [string, string | undefined];
    const type = isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (bits === undefined) bl.addAddress(ip, type);
    else bl.addSubnet(ip, Number(bits), type);
  }
  return (addr) => {
    if (!addr) return false;
    const a = addr.startsWith('::ffff:') && isIPv4(addr.slice(7)) ? addr.slice(7) : addr;
    return bl.check(a, isIPv6(a) ? 'ipv6' : 'ipv4');
  };
}

/** Constant-time comparison after a length check. */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = Buffer.isBuffer(a) ? a : Buffer.from(a);
  const y = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function makeBasicAuth(auth: { username: string; password: string } | undefined): (header: string | undefined) => boolean {
  if (!auth) return () => true;
  const expected = 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return (header) => !!header && safeEqual(header, expected);
}

/** Path of a request line in origin form (`/API`) or absolute form (`http://10.0.0.5:8080/API`, NVRs). */
export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  if (url.charCodeAt(0) === 47 /* '/' */) {
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}
