// A minimal Kubernetes API client over plain REST: the ops commands need a handful of calls
// (get, list, create, delete) on a few kinds, so node's own http/https is enough, and the image
// carries no client library (the official one pulls in ~30 packages). In a pod it uses the
// service-account token and CA (the standard in-cluster paths); KUBE_API_SERVER points it
// elsewhere, e.g. at `kubectl proxy` (http://127.0.0.1:8001) or a test's fake API server.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfig {
  /** Base URL of the API server, e.g. https://10.0.0.1:443. */
  readonly server: string;
  readonly token?: string;
  /** PEM bundle the server's certificate must chain to. */
  readonly ca?: string;
  /** Per request. @default 30 s */
  readonly timeoutMs?: number;
}

/** The API server from the environment: KUBE_API_SERVER (token optional), else the in-cluster service account. */
export function kubeConfigFromEnv(env: NodeJS.ProcessEnv): KubeConfig {
  if (env.KUBE_API_SERVER) {
    return { server: env.KUBE_API_SERVER.replace(/\/$/, ''), token: env.KUBE_API_TOKEN };
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not running in a pod (KUBERNETES_SERVICE_HOST is unset) and KUBE_API_SERVER is not set');
  const read = (file: string) => readFileSync(`${SERVICE_ACCOUNT_DIR}/${file}`, 'utf8');
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, token: read('token').trim(), ca: read('ca.crt') };
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(`${method} ${path}: ${status} ${reason}${message ? `: ${message}` : ''}`);
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    uid?: string;
    [key: string]: unknown;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API server's objects of any kind
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API server's objects of any kind
  status?: any;
  data?: Record<string, string>;
}

/** `apis/postgresql.cnpg.io/v1` style resource coordinates. */
export interface Resource {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural, e.g. `clusters`. */
  readonly plural: string;
}

export const CNPG_CLUSTERS: Resource = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' };
export const CNPG_BACKUPS: Resource = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'backups' };
export const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets' };

export class KubeClient {
  constructor(private readonly config: KubeConfig) {}

  path(resource: Resource, namespace: string, name?: string): string {
    const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  async get(resource: Resource, namespace: string, name: string): Promise<KubeObject> {
    return this.request('GET', this.path(resource, namespace, name));
  }

  /** The object, or undefined when it does not exist. */
  async find(resource: Resource, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.get(resource, namespace, name);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(resource: Resource, namespace: string, labelSelector?: string): Promise<KubeObject[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const body = await this.request('GET', `${this.path(resource, namespace)}${query}`);
    return (body.items ?? []) as KubeObject[];
  }

  async create(resource: Resource, namespace: string, object: KubeObject): Promise<KubeObject> {
    return this.request('POST', this.path(resource, namespace), object);
  }

  /** Deletes in the background (dependents, e.g. a Backup's VolumeSnapshots, by the garbage collector). false when already gone. */
  async delete(resource: Resource, namespace: string, name: string): Promise<boolean> {
    try {
      await this.request('DELETE', this.path(resource, namespace, name), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the API server; callers narrow it
  request(method: string, path: string, body?: unknown): Promise<any> {
    const url = new URL(path, `${this.config.server}/`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          headers,
          timeout: this.config.timeoutMs ?? 30_000,
          ...(url.protocol === 'https:' ? { ca: this.config.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the API server; callers narrow it
            let parsed: any;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = { message: text.slice(0, 200) };
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed);
            else reject(new KubeApiError(method, path, status, parsed.reason ?? res.statusMessage ?? '', parsed.message ?? ''));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${(this.config.timeoutMs ?? 30_000) / 1000}s`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
