import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** a second, unrelated CA (for "wrong CA" tests) */
  otherCa: string;
  read(path: string): Buffer;
  cleanup(): void;
}

/** A throwaway CA, a server cert for IP 127.0.0.1 and a client cert, made with the openssl CLI. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-pki-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=camrelay test CA');
  ssl('req', '-x509', ...ec, '-keyout', p('other.key'), '-out', p('other.crt'), '-days', '2', '-subj', '/CN=other CA');
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', p(`${who}.key`), '-out', p(`${who}.csr`), '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'camrelay-client'}`);
    ssl('x509', '-req', '-in', p(`${who}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${who}.crt`), '-days', '2', '-extfile', p(`${who}.ext`));
  }
  return {
    dir,
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherCa: p('other.crt'),
    read: (f) => readFileSync(f),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
