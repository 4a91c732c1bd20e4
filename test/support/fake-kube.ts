// An in-process fake Kubernetes API server for the ops commands' tests: namespaced objects in
// memory, GET / list (with equality and existence label selectors) / POST / DELETE, the API's
// status codes (404, 409, 403), a request log, and hooks to play the operator (change an object
// when it is read, fail a call).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../lib/ops/kube/client';

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly body?: any;
}

/** Return a status to answer with instead (e.g. 500), or undefined to go on. */
export type Interceptor = (request: RequestRecord) => { status: number; body?: any } | undefined;

const PATH = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/?]+)(?:\/([^/?]+))?$/;

export class FakeKube {
  readonly requests: RequestRecord[] = [];
  /** `<group>/<plural>/<namespace>/<name>` → object. */
  readonly objects = new Map<string, KubeObject>();
  interceptors: Interceptor[] = [];
  /** Called on every GET of one object, before answering: lets a test play the operator. */
  onGet?: (key: string, object: KubeObject) => void;
  private server?: Server;
  private uid = 0;

  static key(group: string, plural: string, namespace: string, name: string): string {
    return `${group}/${plural}/${namespace}/${name}`;
  }

  put(group: string, plural: string, object: KubeObject): void {
    this.objects.set(FakeKube.key(group, plural, object.metadata.namespace!, object.metadata.name), structuredClone(object));
  }

  get(group: string, plural: string, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(FakeKube.key(group, plural, namespace, name));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(record);
    const send = (status: number, body: any) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) =>
      send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
    for (const intercept of this.interceptors) {
      const answer = intercept(record);
      if (answer)
        return send(
          answer.status,
          answer.body ?? { kind: 'Status', code: answer.status, reason: 'Intercepted', message: 'intercepted by the test' },
        );
    }
    const m = PATH.exec(url.pathname);
    if (!m) return status(404, 'NotFound', `no route ${url.pathname}`);
    const [, group = '', , namespace, plural, name] = m;
    const key = (n: string) => FakeKube.key(group, plural, namespace, n);
    switch (record.method) {
      case 'GET': {
        if (name) {
          const object = this.objects.get(key(name));
          if (!object) return status(404, 'NotFound', `${plural} "${name}" not found`);
          this.onGet?.(key(name), object);
          // The hook may have deleted it.
          const now = this.objects.get(key(name));
          return now ? send(200, now) : status(404, 'NotFound', `${plural} "${name}" not found`);
        }
        const selector = url.searchParams.get('labelSelector');
        const items = [...this.objects.entries()]
          .filter(([k]) => k.startsWith(`${group}/${plural}/${namespace}/`))
          .map(([, o]) => o)
          .filter((o) => matches(o, selector));
        return send(200, { kind: 'List', items });
      }
      case 'POST': {
        const object = record.body as KubeObject;
        if (this.objects.has(key(object.metadata.name)))
          return status(409, 'AlreadyExists', `${plural} "${object.metadata.name}" already exists`);
        const created = {
          ...object,
          metadata: { ...object.metadata, namespace, uid: `uid-${++this.uid}`, creationTimestamp: new Date().toISOString() },
        };
        this.objects.set(key(object.metadata.name), created);
        return send(201, created);
      }
      case 'DELETE': {
        if (!name || !this.objects.has(key(name))) return status(404, 'NotFound', `${plural} "${name}" not found`);
        this.objects.delete(key(name));
        return send(200, { kind: 'Status', status: 'Success' });
      }
      default:
        return status(405, 'MethodNotAllowed', record.method);
    }
  }
}

/** `a=b,c` (equality and existence requirements): enough for what the commands send. */
function matches(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = object.metadata.labels ?? {};
  return selector.split(',').every((req) => {
    const [k, v] = req.split('=');
    return v === undefined ? k in labels : labels[k] === v;
  });
}
