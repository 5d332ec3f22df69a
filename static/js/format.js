// The safe Markdown subset of message text, rendered into DOM nodes.
//
// renderText(text, {mentions}) -> DocumentFragment. Recognised: **bold**,
// *italic* and _italic_, ~~strike~~, `inline code`, ``` code blocks ```,
// "> " quotes, http/https links (bare, or [text](https://...)), and @handle
// for the handles in `mentions`. Every node is made with createElement and
// textContent: nothing of a message is ever parsed as HTML, so <script>,
// <img onerror=...> or a javascript: link stay text. Links open in a new tab
// with rel="noopener noreferrer". No dependencies; no DOM outside `document`.

const MAX_LINK_TEXT = 500;
const URL_CHARS = /^https?:\/\/[^\s<>"'`]+/i;
const LABELLED = /^\[([^\]\n]{1,500})\]\((https?:\/\/[^\s<>"'`]+?)\)/i;
const TRAILING = /[.,;:!?'"*_~]+$/;
const WORDISH = /[\p{L}\p{N}_]/u;

/** The http(s) URL as a link target, or null when it is anything else. */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

function link(href, label) {
  const a = document.createElement('a');
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  a.textContent = label;
  return a;
}

function wrap(tag, nodes, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...nodes);
  return node;
}

// A bare URL without the punctuation that ends the sentence around it; a
// closing parenthesis stays only when the URL opened one.
function bareUrl(text) {
  const m = URL_CHARS.exec(text);
  if (!m) return null;
  let url = m[0];
  for (;;) {
    const cut = url.replace(TRAILING, '');
    if (cut !== url) {
      url = cut;
      continue;
    }
    if (url.endsWith(')') && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
      url = url.slice(0, -1);
      continue;
    }
    break;
  }
  return url.length > 'https://'.length ? url : null;
}

// The closing delimiter of an emphasis opened at `from`: not right after an
// opening (no empty span), not after a space, and for `_` not inside a word.
function closing(text, delim, from) {
  let at = from;
  for (;;) {
    at = text.indexOf(delim, at);
    if (at < 0) return -1;
    const before = text[at - 1];
    const after = text[at + delim.length];
    const ok = at > from && !/\s/.test(before)
      && (delim !== '*' || after !== '*')
      && (delim.length === 2 || after === undefined || !WORDISH.test(after));
    if (ok) return at;
    at += delim.length;
  }
}

function mentionAt(text, i, handles) {
  if (!handles.length || text[i] !== '@') return null;
  if (i > 0 && WORDISH.test(text[i - 1])) return null; // an e-mail address, not a mention
  const rest = text.slice(i + 1).toLowerCase();
  for (const handle of handles) {
    if (rest.startsWith(handle) && !WORDISH.test(rest[handle.length] || '')) return text.slice(i, i + 1 + handle.length);
  }
  return null;
}

function inline(text, handles, depth = 0) {
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push(document.createTextNode(plain));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const rest = text.slice(i);
    if (ch === '`') {
      const run = /^`+/.exec(rest)[0];
      const end = text.indexOf(run, i + run.length);
      if (end > i + run.length) {
        flush();
        const code = document.createElement('code');
        code.textContent = text.slice(i + run.length, end);
        out.push(code);
        i = end + run.length;
        continue;
      }
      plain += run;
      i += run.length;
      continue;
    }
    if (ch === '[') {
      const m = LABELLED.exec(rest);
      const href = m && safeHref(m[2]);
      if (href) {
        flush();
        out.push(link(href, m[1].slice(0, MAX_LINK_TEXT)));
        i += m[0].length;
        continue;
      }
    }
    if ((ch === 'h' || ch === 'H') && (i === 0 || !WORDISH.test(text[i - 1]))) {
      const url = bareUrl(rest);
      const href = url && safeHref(url);
      if (href) {
        flush();
        out.push(link(href, url));
        i += url.length;
        continue;
      }
    }
    if (ch === '@') {
      const mention = mentionAt(text, i, handles);
      if (mention) {
        flush();
        const span = document.createElement('span');
        span.className = 'mention';
        span.textContent = mention;
        out.push(span);
        i += mention.length;
        continue;
      }
    }
    if (depth < 4 && (ch === '*' || ch === '_' || ch === '~')) {
      const delim = rest.startsWith('**') ? '**' : rest.startsWith('~~') ? '~~' : ch === '~' ? null : ch;
      // A single * or _ opens only at the start of a word (2*3*4 and snake_case stay text).
      const opensWord = Boolean(delim) && (delim.length === 2 || i === 0 || !WORDISH.test(text[i - 1]));
      const next = text[i + (delim ? delim.length : 1)];
      if (delim && opensWord && next !== undefined && !/\s/.test(next)) {
        const end = closing(text, delim, i + delim.length);
        if (end > 0) {
          flush();
          const tag = delim === '**' ? 'strong' : delim === '~~' ? 's' : 'em';
          out.push(wrap(tag, inline(text.slice(i + delim.length, end), handles, depth + 1)));
          i = end + delim.length;
          continue;
        }
      }
    }
    plain += ch;
    i += 1;
  }
  flush();
  return out;
}

/**
 * The message text as DOM nodes: a DocumentFragment of text nodes and the
 * few elements of the subset (strong, em, s, code, pre, blockquote, a, and
 * span.mention). `mentions`: handles (names without the @) to highlight.
 */
export function renderText(text, { mentions } = {}) {
  const handles = [...new Set((mentions || []).map((h) => String(h).toLowerCase()).filter(Boolean))]
    .sort((a, b) => b.length - a.length); // the longest handle first: @ann does not take @anna's place
  const frag = document.createDocumentFragment();
  const lines = String(text ?? '').split('\n');
  let lastWasLine = false;
  const addLine = (nodes) => {
    if (lastWasLine) frag.append('\n');
    frag.append(...nodes);
    lastWasLine = true;
  };
  const addBlock = (node) => {
    frag.append(node);
    lastWasLine = false;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (/^\s*```[\w+#.-]*\s*$/.test(line)) {
      const body = [];
      let j = i + 1;
      while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++]);
      if (j < lines.length || body.length) {
        const code = document.createElement('code');
        code.textContent = body.join('\n');
        addBlock(wrap('pre', [code]));
        i = j;
        continue;
      }
    }
    if (/^>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^>/.test(lines[i])) quoted.push(lines[i++].replace(/^> ?/, ''));
      i -= 1;
      const nodes = [];
      quoted.forEach((q, k) => {
        if (k) nodes.push(document.createTextNode('\n'));
        nodes.push(...inline(q, handles));
      });
      addBlock(wrap('blockquote', nodes));
      continue;
    }
    addLine(inline(line, handles));
  }
  return frag;
}
