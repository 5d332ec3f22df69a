// Times static/js/format.js's renderText on hostile message texts (issue 24:
// "**a " x 1024 took quadratic time). Node only, with the few DOM calls the
// module makes stubbed: `node bench/format_speed.mjs [path/to/format.js]`
// prints the best of 20 renders of each text, in ms (the best: the machine
// may be busy with other work).
class Node_ {
  constructor(tag) { this.tag = tag; this.children = []; }
  append(...nodes) { this.children.push(...nodes); }
}
globalThis.document = {
  createElement: (tag) => new Node_(tag),
  createTextNode: (text) => ({ text }),
  createDocumentFragment: () => new Node_('#fragment'),
};
const { pathToFileURL } = await import('node:url');
const module = process.argv[2] ? pathToFileURL(process.argv[2]).href : '../static/js/format.js';
const { renderText } = await import(module);

const LIMIT = 4096; // MAX_CONTENT_CHARS: no message is longer
const fill = (unit) => unit.repeat(Math.ceil(LIMIT / unit.length)).slice(0, LIMIT);
const TEXTS = {
  'plain words': fill('word '),
  '"**a " x 1024': '**a '.repeat(1024),
  '"*a "': fill('*a '),
  '"_a "': fill('_a '),
  '"~~a "': fill('~~a '),
  '"**a *b _c ~~d "': fill('**a *b _c ~~d '),
  'nested "**a *b "': fill('**a *b '),
  '"`` `" runs': fill('`` `'),
  '"[a](http://" no spaces': fill('[a](http://'),
  '"[[[["': fill('['),
  'url with ")" x 4000': 'http://a' + ')'.repeat(LIMIT - 8),
  'url with "." x 4000': 'http://a' + '.'.repeat(LIMIT - 10) + 'b',
  '"http://a " words': fill('http://a '),
  '"http://[" no spaces': fill('http://['),
  '"(http://a)" no spaces': fill('(http://a)'),
  '"[a](http://a)" no spaces': fill('[a](http://a)'),
  '"@a " mentions': fill('@a '),
};
const ROUNDS = 20;
for (const [name, text] of Object.entries(TEXTS)) {
  renderText(text, { mentions: ['a', 'ann'] }); // warm up
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i += 1) {
    const start = performance.now();
    renderText(text, { mentions: ['a', 'ann'] });
    best = Math.min(best, performance.now() - start);
  }
  console.log(`${name.padEnd(28)} ${String(text.length).padStart(5)} chars  ${best.toFixed(3).padStart(9)} ms`);
}
