/** A fake Prometheus Pushgateway for the mongo-snapshot end-to-end tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PushRequest {
  method: string;
  url: string;
  body: string;
  /** Date.now() when it arrived */
  at: number;
  /** the reply's status */
  status: number;
}

/**
 * A Pushgateway with the real push semantics (prometheus/pushgateway README, "PUT method" / "POST method" /
 * "DELETE method"): a group is the URL's grouping key; PUT replaces every metric of the group, POST only the metrics
 * with the same names, DELETE removes the group.
 */
export class FakePushgateway {
  readonly groups = new Map<string, Map<string, string>>();
  readonly requests: PushRequest[] = [];
  /** delay the reply to requests whose URL matches, and call `then` when such a request arrives */
  delay?: { match: RegExp; ms: number; then?: () => void };
  /** answer HTTP `status` (default 503), without applying it, to the first `times` requests for which `match` holds */
  fail?: { match: (r: PushRequest) => boolean; times: number; status?: number };
  /** called for every request, after it was applied */
  onRequest?: (r: PushRequest) => void;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const r: PushRequest = { method: req.method!, url: req.url!, body, at: Date.now(), status: 200 };
      this.requests.push(r);
      if (this.fail && this.fail.times > 0 && this.fail.match(r)) {
        this.fail.times--;
        r.status = this.fail.status ?? 503;
        res.writeHead(r.status).end('failed on purpose');
        return;
      }
      const key = req.url!.replace(/^\/metrics\//, '');
      const metrics = new Map<string, string>();
      for (const line of body.split('\n')) {
        if (!line || line.startsWith('#')) continue;
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
        metrics.set(name, line);
      }
      if (req.method === 'PUT') this.groups.set(key, metrics);
      else if (req.method === 'POST') this.groups.set(key, new Map([...(this.groups.get(key) ?? []), ...metrics]));
      else if (req.method === 'DELETE') this.groups.delete(key);
      this.onRequest?.(r);
      const reply = () => res.writeHead(200).end();
      if (this.delay?.match.test(req.url!)) {
        this.delay.then?.();
        setTimeout(reply, this.delay.ms);
      } else reply();
    });
  });
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    this.server.closeAllConnections();
    this.server.close();
  }
  /** the value of `metric` in the group with this URL suffix (undefined: no such group or metric) */
  value(groupSuffix: string, metric: string): number | undefined {
    for (const [k, g] of this.groups)
      if (k.endsWith(groupSuffix)) return g.has(metric) ? Number(g.get(metric)!.split(' ').pop()) : undefined;
    return undefined;
  }
  /** the groups whose key contains `part`, with their metric values */
  find(part: string): Array<{ key: string; values: Record<string, number> }> {
    return [...this.groups]
      .filter(([k]) => k.includes(part))
      .map(([key, g]) => ({ key, values: Object.fromEntries([...g].map(([n, line]) => [n, Number(line.split(' ').pop())])) }));
  }
  /** the grouping key of a group as labels */
  static labels(key: string): Record<string, string> {
    const parts = key.split('/');
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const [name, enc] = parts[i]!.split('@');
      out[name!] = enc === 'base64' ? Buffer.from(parts[i + 1]!, 'base64url').toString() : decodeURIComponent(parts[i + 1]!);
    }
    return out;
  }
}
