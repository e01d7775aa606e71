"""Hostile strings for every form field: a literal core list, then combinations generated from categories.

`CORPUS` holds at least 500 distinct entries. Each has a `<` when it is markup, so an unescaped echo is easy to
spot (`MARKUP`: the entries with a `<`).
"""

from __future__ import annotations

import itertools

CORE = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '" autofocus onfocus="alert(1)',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "{{7*7}}",
    "{{ config }}",
    "{% raw %}{{7*7}}{% endraw %}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "%(amount)s",
    "%s%s%s%n",
    "' OR '1'='1",
    "'; DROP TABLE applications; --",
    "1; SELECT pg_sleep(5)--",
    '" OR ""="',
    "1' UNION SELECT password_hash FROM borrowers--",
    "\\",
    "\\\\'",
    "%00",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: x=1",
    "line1\nline2",
    "\x1b[31mred",
    "\u202e\u202dabc",  # right-to-left override, left-to-right override
    "\u200b\u200c\u200d\ufeff",  # zero-width space, non-joiner, joiner, byte-order mark
    "\u2066abc\u2069",
    "😀",
    "👨‍👩‍👧‍👦",
    "𠜎𠜱𠝹𠱓",  # astral CJK
    "𝟏𝟐𝟑",  # mathematical digits
    "١٢٣٤",  # Arabic-Indic digits
    "१२३",  # Devanagari digits
    "１２３４",  # full-width digits
    "一千五百",
    "张伟",
    "繁體中文測試",
    "1e309",
    "-0",
    "NaN",
    "Infinity",
    "-Infinity",
    "99999999999999999999.999",
    "0.001",
    "-1",
    "1,000,000,000",
    "0x10",
    "1_000",
    "",
    " ",
    "\t",
    "null",
    "None",
    "undefined",
    "true",
    "[]",
    "{}",
    "../../etc/passwd",
    "/static/../app.py",
    "https://evil.example",
    "//evil.example",
    "a" * 5000,
    "长" * 3000,
    "<" * 300,
    "😀" * 1200,
]

MARKUP = [
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    "<b>bold{n}</b>",
    '"><svg onload=alert({n})>',
    "<a href=javascript:alert({n})>x</a>",
    "<!--{n}-->",
    "<style>*{{color:red}}</style>{n}",
]
WRAPPERS = [
    "{s}",
    " {s} ",
    "\u202e{s}",
    "\u200b{s}\u200b",
    "{s}\x00",
    "张伟{s}",
    "😀{s}",
    "{s}\r\n",
    "'{s}'",
    '"{s}"',
    "{{{{7*7}}}}{s}",
    "{s}" + "x" * 1000,
]
NUMBERS = [
    "1e309", "-0", "NaN", "inf", "99999999999999999999.999", "1e-7", "0.005", "-0.01", "10000000.01",
    "1.234.5", "1,5", "٣", "５０００", "〇", "Ⅻ", "½", "+1", "1 000", "¥100", "100元",
]  # fmt: skip
SQL = ["'", "''", "' --", "'; --", '"', "`", "1' AND 1=1--", "') OR ('a'='a", "%", "_", "%_%", "\\%"]


def _generated() -> list[str]:
    out = []
    for n, (markup, wrapper) in enumerate(itertools.product(MARKUP, WRAPPERS)):
        out.append(wrapper.format(s=markup.format(n=n)))
    for number, wrapper in itertools.product(NUMBERS, WRAPPERS):
        out.append(wrapper.format(s=number))
    for sql, wrapper in itertools.product(
        SQL, ("{s}", "{s}<x>", "张伟{s}", "\u202e{s}", "{s}\x00", "<q>{s}")
    ):
        out.append(wrapper.format(s=sql))
    for length in (63, 64, 65, 127, 128, 129, 999, 1000, 1001, 1999, 2000, 2001, 10_000):
        out.append("<" + "a" * (length - 1))
    for code in list(range(1, 32)) + [0x7F, 0x85, 0xA0, 0x2028, 0x2029, 0xFFFE, 0xFFFF]:
        out.append(f"a{chr(code)}b<i>")
    return out


def _unique(values: list[str]) -> list[str]:
    seen, out = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


CORPUS: list[str] = _unique(CORE + _generated())
assert len(CORPUS) >= 500, len(CORPUS)
