"""static/js/format.js in Chromium: the safe Markdown subset becomes DOM
nodes, and nothing else of a message ever becomes HTML (issue 16 item 6,
issue 15 item 9's safe links). The module is imported in a page of the
server (its CSP applies) and each input's DOM is compared as serialised."""

import pytest

A = 'rel="noopener noreferrer" target="_blank"'

CASES = [
    ("plain text", "plain text"),
    ("**bold** and *it* and _it2_", "<strong>bold</strong> and <em>it</em> and <em>it2</em>"),
    ("~~gone~~ `a <b> c`", "<s>gone</s> <code>a &lt;b&gt; c</code>"),
    ("**bold *inner* text**", "<strong>bold <em>inner</em> text</strong>"),
    ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
    ("** not bold ** and * x *", "** not bold ** and * x *"),
    ("a ****  b", "a ****  b"),
    ("`**not bold**`", "<code>**not bold**</code>"),
    ("```\n<b>x</b>\n**y**\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;\n**y**</code></pre>"),
    ("```py\nprint(1)\n```\nafter", "<pre><code>print(1)</code></pre>after"),
    ("```unclosed\ncode", "<pre><code>code</code></pre>"),
    ("```inline```", "<code>inline</code>"),
    ("> quoted **b**\n> two\nafter", "<blockquote>quoted <strong>b</strong>\ntwo</blockquote>after"),
    ("line 1\nline 2", "line 1\nline 2"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
    (
        "see https://example.com/a?b=1&c=2.",
        f'see <a href="https://example.com/a?b=1&amp;c=2" {A}>https://example.com/a?b=1&amp;c=2</a>.',
    ),
    ("(http://x.org/wiki/A_(b))", f'(<a href="http://x.org/wiki/A_(b)" {A}>http://x.org/wiki/A_(b)</a>)'),
    ("[the docs](https://example.com/d)", f'<a href="https://example.com/d" {A}>the docs</a>'),
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
    ("javascript:alert(1) data:text/html,<b>", "javascript:alert(1) data:text/html,&lt;b&gt;"),
    (
        '[x](https://a.b/"onmouseover=alert(1))',
        f'[x](<a href="https://a.b/" {A}>https://a.b/</a>"onmouseover=alert(1))',
    ),
    ('https://a.b/"><script>', f'<a href="https://a.b/" {A}>https://a.b/</a>"&gt;&lt;script&gt;'),
    ("xhttps://evil.example", "xhttps://evil.example"),
    ("**[b](https://e.x)**", f'<strong><a href="https://e.x/" {A}>b</a></strong>'),
    (
        "hi @ann and @anna, mail a@ann.org",
        'hi <span class="mention">@ann</span> and <span class="mention">@anna</span>, mail a@ann.org',
    ),
    ("@Bob!", '<span class="mention">@Bob</span>!'),
    # A mention needs no space after it (issue 26: "@张伟请看" is Chinese for
    # "@张伟 please look"); only resolved members are highlighted, longest first.
    ("@bobby", '<span class="mention">@bob</span>by'),
    ("@张伟请看一下预算表", '<span class="mention">@张伟</span>请看一下预算表'),
    # Lists (issue 27): "- ", "* " or "+ " items, "1. " or "1) " numbered ones;
    # each item's text keeps the inline rules; a list is a block of its own.
    ("- milk\n- **eggs**\n- <b>", "<ul><li>milk</li><li><strong>eggs</strong></li><li>&lt;b&gt;</li></ul>"),
    ("* one\n+ two", "<ul><li>one</li><li>two</li></ul>"),
    ("1. first\n2. second", "<ol><li>first</li><li>second</li></ol>"),
    ("3) three\n4) four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("to buy:\n- milk\nthanks", "to buy:<ul><li>milk</li></ul>thanks"),
    ("- a\n1. b", "<ul><li>a</li></ul><ol><li>b</li></ol>"),
    ("-5 degrees, *not* a list\n-\n- \n1.5 kg", "-5 degrees, <em>not</em> a list\n-\n- \n1.5 kg"),
    ("**bold** start\n*it* start", "<strong>bold</strong> start\n<em>it</em> start"),
    ("> - quoted", "<blockquote>- quoted</blockquote>"),
    (
        "- [a](javascript:x) https://e.x",
        f'<ul><li>[a](javascript:x) <a href="https://e.x/" {A}>https://e.x</a></li></ul>',
    ),
    ("1234567890. too long a number", "1234567890. too long a number"),
]


def test_format_renders_the_subset_and_nothing_else(people, server):
    page = people.context()
    problems = []
    # The one 404 a bare page may have is /favicon.ico (issue 15 gives it one); any other counts.
    page.on("response", lambda r: r.status >= 400 and "favicon" not in r.url and problems.append(r.url))
    page.on(
        "console",
        lambda msg: msg.type == "error" and "Failed to load resource" not in msg.text and problems.append(msg.text),
    )
    page.goto("/")
    got = page.evaluate(
        """async (cases) => {
            const { renderText } = await import('/static/js/format.js');
            return cases.map(([text]) => {
                const box = document.createElement('div');
                box.append(renderText(text, { mentions: ['ann', 'anna', 'bob', '张伟'] }));
                return box.innerHTML;
            });
        }""",
        [[text, want] for text, want in CASES],
    )
    wrong = [(text, want, html) for (text, want), html in zip(CASES, got, strict=True) if html != want]
    assert wrong == [], "\n".join(f"{t!r}\n  want {w!r}\n  got  {h!r}" for t, w, h in wrong)
    # Nothing ran, nothing was fetched from a message, no element but the subset's.
    tags = page.evaluate(
        """async (texts) => {
            const { renderText } = await import('/static/js/format.js');
            const box = document.createElement('div');
            for (const t of texts) box.append(renderText(t));
            document.body.append(box);
            window.__ran = window.__ran || false;
            return [...new Set([...box.querySelectorAll('*')].map((n) => n.tagName.toLowerCase()))].sort();
        }""",
        [t for t, _ in CASES] + ['<img src=x onerror="window.__ran=true">', '<svg onload="window.__ran=true">'],
    )
    assert set(tags) <= {"strong", "em", "s", "code", "pre", "blockquote", "a", "span", "ul", "ol", "li"}, tags
    assert page.evaluate("window.__ran") is False
    assert problems == [] and page.problems == []


@pytest.mark.parametrize(
    "text, shown",
    [("", ""), ("   ", "   "), ("\n\n", "\n\n"), ("*", "*"), ("**", "**"), ("`", "`"), ("[a](", "[a]("), ("> ", "")]
    + [("```", "```"), ("~~", "~~"), ("_", "_"), ("@", "@"), ("https://", "https://")]
    + [("- ", "- "), ("1. ", "1. "), ("-", "-"), ("- x", "x"), ("9. \n", "9. \n")],
)
def test_format_takes_any_fragment_without_throwing(people, server, text, shown):
    page = people.context()
    page.goto("/")
    got = page.evaluate(
        """async (t) => {
            const { renderText } = await import('/static/js/format.js');
            const box = document.createElement('div');
            box.append(renderText(t, { mentions: ['x'] }));
            return box.textContent;
        }""",
        text,
    )
    assert got == shown


# Texts no span ever closes, or nearly: each opening or URL searched to the end
# of the text again, quadratic in its length ("**a " x 1024: 40 such messages
# froze a tab for 3.7 s; a URL followed by 4,000 ")" took half a second alone).
# Each is drawn 40 times, as a conversation of them would be; the timeout
# fails the test long before the quadratic formatter finished.
HOSTILE = {
    "**a " * 1024: ("**a " * 1024, []),
    "*a " * 1365: ("*a " * 1365, []),
    "**a** " * 682: ("a " * 682, ["strong"] * 682),
    "_a " * 1365: ("_a " * 1365, []),
    "~~a " * 1024: ("~~a " * 1024, []),
    "**a *b " * 585: ("**a *b " * 585, []),
    "[a](http://" * 372: ("[a](http://" * 372, []),
    "http://[" * 512: ("http://[" * 512, []),
    "http://ab" + ")" * 4087: ("http://ab" + ")" * 4087, ["a"]),
    "@a " * 1365: ("@a " * 1365, ["span"] * 1365),
    # A list of 2,000 items, and 2,000 lines that each nearly start one.
    "- a\n" * 2000: ("a" * 2000, ["ul"]),
    "1.a\n" * 2000: ("1.a\n" * 2000, []),
}


@pytest.mark.timeout(60)
def test_format_takes_linear_time_on_texts_that_never_close(people, server):
    page = people.context()
    page.goto("/")
    got = page.evaluate(
        """async (texts) => {
            const { renderText } = await import('/static/js/format.js');
            return texts.map((t) => {
                let box;
                for (let i = 0; i < 40; i += 1) {
                    box = document.createElement('div');
                    box.append(renderText(t, { mentions: ['a'] }));
                }
                return [box.textContent, [...box.children].map((n) => n.tagName.toLowerCase())];
            });
        }""",
        list(HOSTILE),
    )
    wrong = []
    for (text, (shown, tags)), (got_text, got_tags) in zip(HOSTILE.items(), got, strict=True):
        if got_text != shown or got_tags != tags:
            wrong.append((text[:20], got_text[:40], got_tags[:3], len(got_tags)))
    assert wrong == []
