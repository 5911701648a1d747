// A small client for the control plane's HTTP API, used by the CLI and the local platform.

import {
  API, type ApplyRequest, type ProxyStatus, type SecretInfo, type SecretRequest, type ApplyResponse, type DeleteRequest, type DeleteResult, type ProxyConfig, type Resource,
} from '../api/index.ts';
import { IsthmusError } from '../shared/index.ts';

export const ClientErrors = {
  UNREACHABLE: 'ISTHMUS_ERR_CLIENT_UNREACHABLE',
  SERVER: 'ISTHMUS_ERR_CLIENT_SERVER',
} as const;

export interface ResourceList {
  kind: string;
  group: string;
  plural: string;
  namespaced: boolean;
  items: Resource[];
}


/** A root rotation under way, as the CA reports it (times in ms since the epoch). */
export interface CaRotation {
  /** overlap: the new root is trusted, the old one still signs. switched: the new one signs, the old one is still trusted. */
  phase: 'overlap' | 'switched';
  startedAt: number;
  switchAt: number;
  retireAt: number | null;
}

/** GET /v1/ca/roots. */
export interface CaRoots {
  /** Trusted roots, PEM, newest first. */
  roots: string[];
  trustDomain: string;
  rotation: CaRotation | null;
  /** How the CA signs, when the control plane says so. */
  mode?: 'self-signed' | 'plugin';
}

/** POST /v1/ca/rotate-root. */
export interface CaRotateResult {
  roots: string[];
  rotation: CaRotation | null;
}

export class ControlPlaneClient {
  constructor(readonly baseUrl: string) {}

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      const init: RequestInit = { method, signal: AbortSignal.timeout(30_000) };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      res = await fetch(this.baseUrl + path, init);
    } catch (e) {
      throw new IsthmusError(ClientErrors.UNREACHABLE, `cannot reach the control plane at ${this.baseUrl}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: text };
    }
    if (!res.ok) throw new IsthmusError(ClientErrors.SERVER, (parsed as { error?: string }).error ?? `HTTP ${res.status}`);
    return parsed as T;
  }

  apply(req: ApplyRequest, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<ApplyResponse> {
    const q = opts.wait ? `?wait=1&timeoutMs=${opts.timeoutMs ?? 10_000}` : '';
    return this.#call('POST', API.apply + q, req);
  }

  async delete(req: DeleteRequest): Promise<DeleteResult[]> {
    return (await this.#call<{ results: DeleteResult[] }>('POST', API.delete, req)).results;
  }

  list(kind: string, namespace?: string, name?: string): Promise<ResourceList> {
    const q = new URLSearchParams({ kind });
    if (namespace) q.set('namespace', namespace);
    if (name) q.set('name', name);
    return this.#call('GET', `${API.resources}?${q}`);
  }

  async proxies(): Promise<ProxyStatus[]> {
    return (await this.#call<{ proxies: ProxyStatus[] }>('GET', API.proxies)).proxies;
  }

  proxyConfig(id: string): Promise<ProxyConfig> {
    return this.#call('GET', `${API.proxies}/${encodeURIComponent(id)}/config`);
  }

  async putSecret(req: SecretRequest): Promise<void> {
    await this.#call('POST', API.secrets, req);
  }

  async secrets(): Promise<SecretInfo[]> {
    return (await this.#call<{ secrets: SecretInfo[] }>('GET', API.secrets)).secrets;
  }

  caRoots(): Promise<CaRoots> {
    return this.#call('GET', API.roots);
  }

  /** Starts a root rotation (self-signed CA only; a plug-in CA refuses with the reason). */
  rotateRoot(): Promise<CaRotateResult> {
    return this.#call('POST', '/v1/ca/rotate-root', {});
  }

  info(): Promise<{ revision: number; snapshot: number; proxies: number; pushes: number }> {
    return this.#call('GET', API.info);
  }
}
