// The HTTP API of API.md: the JSON envelope, the CSRF header on every
// cookie-authenticated POST, uploads.

import { maxUploadBytes } from './constants.js';
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

// The file chosen in an <input type="file">, uploaded (undefined when none is
// chosen); one over the server's limit is refused here, before the trip.
export async function uploadFrom(fileInput) {
  const file = fileInput.files && fileInput.files[0];
  if (!file) return undefined;
  if (file.size > maxUploadBytes) throw new ApiError(413, t('{name} is too large', { name: file.name }));
  return upload(file, file.name);
}
