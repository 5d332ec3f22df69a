// Files of any type (Media 5): the "Attach a file" chooser of the composer,
// the upload with its progress (POST /attach/file), and the file card of a
// bubble: an icon, the name, size and type, and a download link. The server
// serves a file only as a download (Content-Disposition: attachment).

import { ApiError, csrfToken } from './api.js';
import { sendFile } from './composer.js';
import { registerContentRenderer } from './hooks.js';
import { $ } from './dom.js';
import { currentConv } from './convs.js';
import { el, safeUpload } from './view.js';
import { num, t } from './i18n.js';

export const FILE = 5;

const ICONS = [
  [/^image\//, '🖼'],
  [/^audio\//, '🎵'],
  [/^video\//, '🎬'],
  [/pdf$/, '📕'],
  [/zip|compressed|tar|gzip|x-7z|rar/, '🗜'],
  [/^text\/|json|csv/, '📝'],
  [/spreadsheet|excel/, '📊'],
  [/presentation|powerpoint/, '📽'],
  [/word|opendocument\.text|rtf/, '📄'],
];

export function fileIcon(mime) {
  const found = ICONS.find(([re]) => re.test(mime || ''));
  return found ? found[1] : '📎';
}

export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${num(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MB`;
}

function progressOf(msg) {
  return el('progress', {
    className: 'file-progress', max: '100', value: String(Math.round((msg.progress || 0) * 100)),
    dataset: { cmid: msg.ClientMsgId }, 'aria-label': t('Uploading {name}', { name: msg.File.Name }),
  });
}

function fileCard(msg) {
  const file = msg.File || { Name: t('file'), Size: 0, Mime: 'application/octet-stream' };
  const url = msg.pending ? '' : safeUpload(msg.Url);
  const name = url
    ? el('a', { className: 'file-name', href: url, download: file.Name, title: t('Download {name}', { name: file.Name }), text: file.Name })
    : el('span', { className: 'file-name', text: file.Name });
  const info = el('div', { className: 'file-info' }, name,
    el('span', { className: 'file-meta', title: file.Mime, text: `${formatSize(file.Size)} · ${file.Mime}` }));
  if (msg.pending && msg.status === 'uploading') info.append(progressOf(msg));
  const card = el('div', { className: 'file-card' }, el('span', { className: 'file-icon', 'aria-hidden': 'true', text: fileIcon(file.Mime) }), info);
  if (url) {
    card.append(el('a', {
      className: 'file-download', href: url, download: file.Name, 'aria-label': t('Download {name}', { name: file.Name }), text: '⬇',
    }));
  }
  return card;
}

// POST /attach/file with the upload's progress shown on the pending bubble;
// resolves with the stored file's Url (and sets the sanitised File on msg).
function uploadFile(msg) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/attach/file');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-CSRFToken', csrfToken());
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      msg.progress = event.loaded / event.total;
      const bar = document.querySelector(`progress.file-progress[data-cmid="${CSS.escape(msg.ClientMsgId)}"]`);
      if (bar) bar.value = Math.round(msg.progress * 100);
    });
    xhr.addEventListener('load', () => {
      const data = xhr.response;
      if (xhr.status === 200 && data && data.Code === 0) {
        msg.File = { Name: data.Data.Name, Size: data.Data.Size, Mime: data.Data.Mime };
        resolve(data.Data.Url);
        return;
      }
      if (xhr.status === 401) window.dispatchEvent(new CustomEvent('ginchat:unauthorized'));
      reject(new ApiError(xhr.status, (data && data.Msg) || t('the server answered {status}', { status: xhr.status })));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, t('the server cannot be reached'))));
    const body = new FormData();
    body.append('file', msg.file, msg.filename || msg.file.name || 'file');
    xhr.send(body);
  });
}

// Files chosen in a composer, each uploaded (with its progress) and sent to `conv`.
export function sendFiles(conv, files) {
  for (const file of files) {
    const info = { Name: file.name || 'file', Size: file.size, Mime: file.type || 'application/octet-stream' };
    sendFile(conv, file, { Media: FILE, File: info, progress: 0, uploadWith: uploadFile }, file.name);
  }
}

export function initFiles() {
  registerContentRenderer((msg) => (msg.Media === FILE ? fileCard(msg) : null));
  $('file-input').addEventListener('change', (event) => {
    const conv = currentConv();
    const files = [...event.target.files];
    event.target.value = '';
    if (conv) sendFiles(conv, files);
  });
}
