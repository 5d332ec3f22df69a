// The safe Markdown subset of message text, rendered into DOM nodes.
//
// renderText(text, {mentions}) -> DocumentFragment. Recognised: **bold**,
// *italic* and _italic_, ~~strike~~, `inline code`, ``` code blocks ```,
// "> " quotes, lists ("- ", "* ", "+ " items; "1. " or "1) " numbered ones), http/https links (bare, or [text](https://...)), and @handle
// for the handles in `mentions`. Every node is made with createElement and
// textContent: nothing of a message is ever parsed as HTML, so <script>,
// <img onerror=...> or a javascript: link stay text. Links open in a new tab
// with rel="noopener noreferrer". No dependencies; no DOM outside `document`.
//
// The time taken grows with the text's length, not its square: a message of
// "**a " x 1024 (no span ever closes) once took quadratic time, each opening
// searching to the end again (bench/format_speed.mjs measures the hostile
// texts). Each search below goes on where an earlier one stopped, or looks up
// a table of "where is the next such character" made once per text.

const MAX_LINK_TEXT = 500;
const URL_STOP = /[\s<>"'`]/; // what ends a URL
const TRAILING = new Set('.,;:!?\'"*_~'); // punctuation that ends a sentence, not a URL
const AUTHORITY_END = new Set('/\\?#');
const WORDISH = /[\p{L}\p{N}_]/u;
// A list item: up to 3 spaces, a bullet or a number of up to 9 digits with "."
// or ")", a space, then some text. Anchored, no nested repeats: linear.
const LIST_ITEM = /^ {0,3}(?:([-*+])|(\d{1,9})[.)]) +(?=\S)/;

/**
 * Lookups over one text, each table made on first use: next(kind, i) is
 * the index of the first character of that kind at or after i (the
 * text's length when none), count(ch, from, to) how many `ch` lie in
 * [from, to).
 */
class Scan {
  constructor(text) {
    this.text = text;
    this.tables = new Map();
  }

  table(key, make) {
    if (!this.tables.has(key)) this.tables.set(key, make(this.text));
    return this.tables.get(key);
  }

  next(kind, i) {
    const test = kind === 'stop' ? (c) => URL_STOP.test(c)
      : kind === 'authority' ? (c) => AUTHORITY_END.has(c)
        : (c) => c === kind;
    const next = this.table(`next ${kind}`, (text) => {
      const out = new Int32Array(text.length + 1);
      out[text.length] = text.length;
      for (let k = text.length - 1; k >= 0; k -= 1) out[k] = test(text[k]) ? k : out[k + 1];
      return out;
    });
    return next[Math.min(i, this.text.length)];
  }

  count(ch, from, to) {
    const sums = this.table(`count ${ch}`, (text) => {
      const out = new Int32Array(text.length + 1);
      for (let k = 0; k < text.length; k += 1) out[k + 1] = out[k] + (text[k] === ch ? 1 : 0);
      return out;
    });
    return sums[to] - sums[from];
  }

  /** The length of "http://" or "https://" (any case) at i, else 0. */
  scheme(i) {
    const head = this.text.slice(i, i + 8).toLowerCase();
    if (head.startsWith('https://')) return 8;
    return head.startsWith('http://') ? 7 : 0;
  }
}

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

// A bare URL at i without the punctuation that ends the sentence around it;
// a closing parenthesis stays only when the URL opened one. Null when none.
function bareUrl(scan, i) {
  const { text } = scan;
  const scheme = scan.scheme(i);
  if (!scheme) return null;
  let end = scan.next('stop', i + scheme);
  if (end === i + scheme) return null;
  const opens = scan.count('(', i, end);
  let closes = scan.count(')', i, end);
  for (;;) {
    if (TRAILING.has(text[end - 1])) {
      end -= 1;
    } else if (text[end - 1] === ')' && opens < closes) {
      end -= 1;
      closes -= 1;
    } else {
      break;
    }
  }
  if (end <= i + 'https://'.length) return null;
  // Only scheme and authority can make a URL invalid: tried alone first, a
  // failure costs the authority's length, not the rest of the text's.
  let host = i + scheme;
  while (text[host] === '/' || text[host] === '\\') host += 1;
  const authority = Math.min(end, scan.next('authority', host));
  if (authority < end && !safeHref(text.slice(i, authority))) return null;
  const url = text.slice(i, end);
  const href = safeHref(url);
  return href ? { url, href } : null;
}

// [label](https://...) at i (the label up to 500 characters, the target up
// to the first ")"): { length, label, href }, or null.
function labelledLink(scan, i) {
  const { text } = scan;
  const close = scan.next(']', i + 1);
  if (close - i - 1 < 1 || close - i - 1 > MAX_LINK_TEXT || text[close + 1] !== '(') return null;
  const start = close + 2;
  const scheme = scan.scheme(start);
  const first = start + scheme;
  if (!scheme || first >= text.length || URL_STOP.test(text[first])) return null;
  const paren = scan.next(')', first + 1);
  if (paren >= text.length || scan.next('stop', first) < paren) return null;
  const href = safeHref(text.slice(start, paren));
  return href ? { length: paren + 1 - i, label: text.slice(i + 1, close), href } : null;
}

// The closing delimiters of emphasis in one text. closing(delim, from): the
// one for an opening at `from`: not right after the opening (no empty span),
// not after a space, and for `_` not inside a word. A search that fails goes
// on where the last one went; each is remembered, so every opening together
// reads the text once.
class Closers {
  constructor(text) {
    this.text = text;
    // delim -> for each position, 2 + the first good closer from there (1: none; 0: not known yet)
    this.after = new Map();
  }

  good(delim, at) {
    const before = this.text[at - 1];
    const after = this.text[at + delim.length];
    return !/\s/.test(before)
      && (delim !== '*' || after !== '*')
      && (delim.length === 2 || after === undefined || !WORDISH.test(after));
  }

  // The first good closer among the occurrences found from `from` on, each
  // failure resuming one delimiter further (as a plain search would).
  from(delim, from) {
    if (!this.after.has(delim)) this.after.set(delim, new Int32Array(this.text.length + 3));
    const memo = this.after.get(delim);
    const visited = [];
    let at = from;
    let found;
    for (;;) {
      if (memo[at]) {
        found = memo[at] - 2;
        break;
      }
      visited.push(at);
      const hit = this.text.indexOf(delim, at);
      if (hit < 0 || this.good(delim, hit)) {
        found = hit;
        break;
      }
      at = hit + delim.length;
    }
    for (const p of visited) memo[p] = found + 2;
    return found;
  }

  closing(delim, from) {
    const hit = this.text.indexOf(delim, from);
    if (hit < 0) return -1;
    if (hit > from && this.good(delim, hit)) return hit;
    return this.from(delim, hit + delim.length);
  }
}

function mentionAt(text, i, handles) {
  if (!handles.length || text[i] !== '@') return null;
  if (i > 0 && WORDISH.test(text[i - 1])) return null; // an e-mail address, not a mention
  // The longest handle's length and a few more (lower-casing looks at what follows a Σ).
  const rest = text.slice(i + 1, i + handles[0].length + 9).toLowerCase();
  // Whether or not a space follows, as the server's rule (domain/mentions.py):
  // "@张伟请看" mentions 张伟; the handles are the members it resolved, longest first.
  for (const handle of handles) {
    if (rest.startsWith(handle)) return text.slice(i, i + 1 + handle.length);
  }
  return null;
}

function inline(text, handles, depth = 0) {
  const scan = new Scan(text);
  const closers = new Closers(text);
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push(document.createTextNode(plain));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '`') {
      let runEnd = i;
      while (text[runEnd] === '`') runEnd += 1;
      const run = text.slice(i, runEnd);
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
      const labelled = labelledLink(scan, i);
      if (labelled) {
        flush();
        out.push(link(labelled.href, labelled.label));
        i += labelled.length;
        continue;
      }
    }
    if ((ch === 'h' || ch === 'H') && (i === 0 || !WORDISH.test(text[i - 1]))) {
      const bare = bareUrl(scan, i);
      if (bare) {
        flush();
        out.push(link(bare.href, bare.url));
        i += bare.url.length;
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
      const delim = text.startsWith('**', i) ? '**' : text.startsWith('~~', i) ? '~~' : ch === '~' ? null : ch;
      // A single * or _ opens only at the start of a word (2*3*4 and snake_case stay text).
      const opensWord = Boolean(delim) && (delim.length === 2 || i === 0 || !WORDISH.test(text[i - 1]));
      const next = text[i + (delim ? delim.length : 1)];
      if (delim && opensWord && next !== undefined && !/\s/.test(next)) {
        const end = closers.closing(delim, i + delim.length);
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

// The list item a line starts, or null: { ordered, start, text }.
function listItem(line) {
  const found = LIST_ITEM.exec(line);
  if (!found) return null;
  return { ordered: !found[1], start: found[2] ? Number(found[2]) : 1, text: line.slice(found[0].length) };
}

/**
 * The message text as DOM nodes: a DocumentFragment of text nodes and the
 * few elements of the subset (strong, em, s, code, pre, blockquote, ul, ol,
 * li, a, and span.mention). `mentions`: handles (names or display names without the @)
 * to highlight.
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
    const first = listItem(line);
    if (first) {
      // The items that follow of the same kind (bullets, or numbers) make one list.
      const list = document.createElement(first.ordered ? 'ol' : 'ul');
      if (first.ordered && first.start !== 1) list.start = first.start;
      let item = first;
      while (item && item.ordered === first.ordered) {
        list.append(wrap('li', inline(item.text, handles)));
        i += 1;
        item = i < lines.length ? listItem(lines[i]) : null;
      }
      i -= 1;
      addBlock(list);
      continue;
    }
    addLine(inline(line, handles));
  }
  return frag;
}
