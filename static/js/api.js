// The HTTP API of API.md: the JSON envelope, the CSRF header on every
// cookie-authenticated POST, uploads.

import { t } from './i18n.js';

const meta = document.querySelector('meta[name="csrf-token"]');

export function csrfToken() {
  return meta ? meta.content : '';
}

export class ApiError extends Error {
  constructor(status, msg) {
    super(msg);
    this.status = status;
  }
}

async function call(method, path, { params, body } = {}) {
  let url = path;
  if (params) url += '?' + new URLSearchParams(params);
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, t('the server cannot be reached'));
  }
  let data = null;
  try {
    data = await res.json();
  } catch (err) {
    data = null;
  }
  if (!res.ok || !data || data.Code !== 0) {
    if (res.status === 401) window.dispatchEvent(new CustomEvent('ginchat:unauthorized'));
    throw new ApiError(res.status, (data && data.Msg) || t('the server answered {status}', { status: res.status }));
  }
  return data;
}

export function get(path, params) {
  return call('GET', path, { params });
}

export function post(path, fields = {}) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) body.append(key, value);
  }
  return call('POST', path, { body });
}

// Store a picture or a voice clip; answers its URL path (/uploads/<name>).
export async function upload(blob, filename) {
  const body = new FormData();
  body.append('file', blob, filename || blob.name || 'file');
  const data = await call('POST', '/attach/upload', { body });
  return data.Data;
}
