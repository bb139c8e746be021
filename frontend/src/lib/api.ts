// Thin client for /api/v1: the session cookie authenticates (same origin), so
// no token is kept in script-readable storage.

import type { ApiErrorBody } from './types';

export class ApiError extends Error {
  public code: string;
  public reason?: string;
  public params?: Record<string, string>;
  constructor(
    public status: number,
    body: ApiErrorBody,
  ) {
    super(body.message);
    this.code = body.code;
    this.reason = body.reason;
    this.params = body.params;
  }
}

const network: ApiErrorBody = { code: 'unavailable', reason: 'network', message: 'network' };

let onOfflineCopy: ((copy: boolean) => void) | null = null;
/** Told, on every answer, whether it is the service worker's offline copy. */
export function setOfflineCopyHandler(fn: (copy: boolean) => void) {
  onOfflineCopy = fn;
}

let onUnauthenticated: (() => void) | null = null;
export function setUnauthenticatedHandler(fn: () => void) {
  onUnauthenticated = fn;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: ApiErrorBody = { code: 'internal', message: res.statusText || `HTTP ${res.status}` };
  try {
    const j = await res.json();
    if (j?.error?.code) body = j.error;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, body);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, network);
  }
  if (!res.ok) {
    const e = await errorFrom(res);
    if (res.status === 401 && path !== '/auth/login') onUnauthenticated?.();
    throw e;
  }
  onOfflineCopy?.(res.headers.get('X-Phonghop-Offline') === '1');
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(p: string) => api<T>('GET', p);
export const post = <T>(p: string, b?: unknown) => api<T>('POST', p, b ?? {});
export const put = <T>(p: string, b: unknown) => api<T>('PUT', p, b);
export const del = <T>(p: string) => api<T>('DELETE', p);

export const enc = encodeURIComponent;

/** Multipart upload with progress (fetch has no upload progress). */
export function upload<T>(path: string, file: File, onProgress: (fraction: number) => void, fields: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1' + path);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let j: any = null;
      try {
        j = JSON.parse(xhr.responseText);
      } catch {
        /* empty */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(j as T);
      } else {
        if (xhr.status === 401) onUnauthenticated?.();
        reject(new ApiError(xhr.status, j?.error?.code ? j.error : { code: 'internal', message: `HTTP ${xhr.status}` }));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, network));
    const fd = new FormData();
    // Fields first: the server reads them before it streams the file.
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', file, file.name);
    xhr.send(fd);
  });
}

export const documentURL = (mid: string, did: string) =>
  `/api/v1/meetings/${enc(mid)}/documents/${enc(did)}/content`;
