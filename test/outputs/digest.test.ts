import { describe, expect, test } from 'vitest';
import { basicAuthorization, digestAuthorization, parseWwwAuthenticate } from '../../src/outputs/digest.js';

describe('digest auth maths', () => {
  // RFC 7616 §3.9.1 worked example.
  const challenge = {
    realm: 'http-auth@example.org',
    qop: 'auth, auth-int',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  };
  const base = {
    method: 'GET',
    uri: '/dir/index.html',
    username: 'Mufasa',
    password: 'Circle of Life',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: 1,
  };

  test('RFC 7616 example, MD5', () => {
    const h = digestAuthorization({ ...base, challenge: { ...challenge, algorithm: 'MD5' } });
    expect(h).toMatch(/^Digest /);
    expect(h).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
    expect(h).toContain('qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"');
    expect(h).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
    expect(h).toContain('uri="/dir/index.html"');
  });

  test('RFC 7616 example, SHA-256', () => {
    const h = digestAuthorization({ ...base, challenge: { ...challenge, algorithm: 'SHA-256' } });
    expect(h).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
    expect(h).toContain('algorithm=SHA-256');
  });

  test('a challenge without qop=auth is refused', () => {
    expect(() => digestAuthorization({ ...base, challenge: { ...challenge, qop: 'auth-int' } })).toThrow(/qop=auth/);
  });

  test('WWW-Authenticate with several challenges and quoted commas', () => {
    const c = parseWwwAuthenticate(['Digest realm="a, b", nonce="n1", qop="auth", algorithm=MD5, Basic realm="x"', 'Bearer']);
    expect(c).toEqual([
      { scheme: 'Digest', params: { realm: 'a, b', nonce: 'n1', qop: 'auth', algorithm: 'MD5' } },
      { scheme: 'Basic', params: { realm: 'x' } },
      { scheme: 'Bearer', params: {} },
    ]);
  });

  test('basic', () => {
    expect(basicAuthorization('admin', 'pä:ss')).toBe('Basic ' + Buffer.from('admin:pä:ss').toString('base64'));
  });
});
