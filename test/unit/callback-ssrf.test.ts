import { describe, expect, it, vi } from 'vitest';
import { checkCallbackUrl } from '../../lib/callbacks/ssrf.ts';

// The SSRF rule for callback URLs (DESIGN.md): http(s) only; allowed hosts trusted; every other host
// must resolve only to public addresses (loopback only when the deployment allows it).

const strict = { allowLoopback: false, allowedHosts: [] as string[] };
const resolvingTo = (...addresses: string[]) => vi.fn(async (_host: string) => addresses);

describe('checkCallbackUrl', () => {
  const refused: [url: string, addressClass: RegExp][] = [
    ['http://127.0.0.1/cb', /loopback/],
    ['http://10.1.2.3/cb', /private/],
    ['http://172.16.0.1/cb', /private/],
    ['http://192.168.1.1/cb', /private/],
    ['http://100.64.0.1/cb', /private.*CGNAT/],
    ['http://169.254.169.254/latest/meta-data/', /link-local.*metadata/],
    ['http://[::1]/cb', /loopback/],
    ['http://[fe80::1]/cb', /link-local/],
    ['http://[fc00::1]/cb', /unique-local/],
    ['http://[::ffff:10.0.0.1]/cb', /private/],
    ['http://[::ffff:7f00:1]/cb', /loopback/],
    ['http://0.0.0.0/cb', /unspecified/],
    ['http://[::]/cb', /unspecified/],
    ['http://224.0.0.1/cb', /multicast/],
    ['http://[ff02::1]/cb', /multicast/],
    ['http://255.255.255.255/cb', /reserved/],
    ['http://0x7f.1/cb', /loopback/], // the URL parser normalises odd IPv4 spellings to 127.0.0.1
    ['http://[64:ff9b::a00:1]/cb', /private.*10\.0\.0\.1/], // NAT64 to 10.0.0.1
  ];
  it.each(refused)('refuses %s, naming the address class', async (url, addressClass) => {
    const resolve = resolvingTo('93.184.216.34');
    const verdict = await checkCallbackUrl(url, { ...strict, resolve });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(addressClass);
    expect(resolve).not.toHaveBeenCalled(); // IP literals are not resolved
  });

  it('refuses a host name that resolves to a private address, even when another of its addresses is public', async () => {
    const resolve = resolvingTo('93.184.216.34', '10.0.0.7');
    expect(await checkCallbackUrl('https://hooks.example.com/cb', { ...strict, resolve })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^hooks\.example\.com resolves to 10\.0\.0\.7, which is refused: private address \(10\.0\.0\.0\/8\)/),
    });
    expect(resolve).toHaveBeenCalledWith('hooks.example.com');
    expect(await checkCallbackUrl('https://meta.example.com/', { ...strict, resolve: resolvingTo('::ffff:169.254.169.254') })).toMatchObject({ ok: false, reason: expect.stringMatching(/metadata/) });
  });

  it('refuses schemes other than http(s), unparsable URLs, unresolvable hosts and hosts without addresses', async () => {
    for (const url of ['ftp://93.184.216.34/x', 'file:///etc/passwd', 'gopher://example.com/', 'not a url']) expect((await checkCallbackUrl(url, strict)).ok, url).toBe(false);
    const failing = vi.fn(async () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })));
    expect(await checkCallbackUrl('https://nowhere.example/', { ...strict, resolve: failing })).toEqual({ ok: false, reason: 'cannot resolve nowhere.example: ENOTFOUND' });
    expect((await checkCallbackUrl('https://empty.example/', { ...strict, resolve: resolvingTo() })).ok).toBe(false);
  });

  it('accepts public addresses, literal or resolved, over http and https', async () => {
    expect(await checkCallbackUrl('http://93.184.216.34:8080/cb?x=1', strict)).toEqual({ ok: true });
    expect(await checkCallbackUrl('https://[2606:4700:4700::1111]/cb', strict)).toEqual({ ok: true });
    expect(await checkCallbackUrl('https://hooks.example.com/cb', { ...strict, resolve: resolvingTo('93.184.216.34', '2606:2800:220:1::1') })).toEqual({ ok: true });
  });

  it('trusts an allowed host (exact name, any case) without resolving it, and only that host', async () => {
    const resolve = resolvingTo('10.0.0.5');
    const options = { allowLoopback: false, allowedHosts: ['Hooks.Internal.Example'], resolve };
    expect(await checkCallbackUrl('https://hooks.internal.example/cb', options)).toEqual({ ok: true });
    expect(resolve).not.toHaveBeenCalled();
    expect((await checkCallbackUrl('https://evil.hooks.internal.example/cb', options)).ok).toBe(false);
  });

  it('accepts loopback (127/8, ::1, a name resolving to them) only when the deployment allows it', async () => {
    const local = { allowLoopback: true, allowedHosts: [], resolve: resolvingTo('127.0.0.1', '::1') };
    for (const url of ['http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb', 'http://localhost:3000/cb']) expect(await checkCallbackUrl(url, local), url).toEqual({ ok: true });
    expect((await checkCallbackUrl('http://10.0.0.1/cb', local)).ok).toBe(false);
    expect((await checkCallbackUrl('http://localhost:3000/cb', { ...local, allowLoopback: false })).ok).toBe(false);
  });
});
