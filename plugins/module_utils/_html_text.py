# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a readable plain-text version of an HTML body, and the cid: references in it.

Mail clients that do not show HTML, screen readers and spam filters read the text part: it
should say what the HTML says. This keeps paragraphs, line breaks, list items, headings,
table cells and link targets, drops scripts, styles and the head. Do not use this from
other collections.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

__all__ = ["html_to_text", "cid_references"]

_BLOCK = frozenset(("address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "fieldset", "figure",
                    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol",
                    "p", "pre", "section", "table", "tr", "ul", "li", "center"))
_SKIP = frozenset(("script", "style", "head", "title", "template", "noscript"))
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_CSS_CID = re.compile(r"""url\(\s*["']?\s*cid:([^\s"'()]+)""", re.IGNORECASE)


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []       # finished lines
        self.line = []      # words of the current line
        self.skip = 0
        self.pre = 0
        self.links = []     # (href, text position) of open <a>

    def _text(self, text):
        self.line.append(text)

    def _break(self, blank=False, force=False):
        """End the current line; ``blank`` leaves an empty line, ``force`` (<br>) even an empty one."""
        line = "".join(self.line)
        if not self.pre:
            line = _SPACES.sub(" ", line).strip()
        self.line = []
        if line or force:
            self.out.append(line)
        if blank and self.out and self.out[-1] != "":
            self.out.append("")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._break(force=True)
        elif tag == "pre":
            self._break(blank=True)
            self.pre += 1
        elif tag in _BLOCK:
            self._break(blank=tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote"))
            if tag == "li":
                self._text("- ")
        elif tag in ("td", "th"):
            self._text(" ")
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len("".join(self.line))))
        elif tag == "img" and attrs.get("alt"):
            self._text("[%s]" % attrs["alt"])

    def handle_startendtag(self, tag, attrs):
        if tag not in _SKIP:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "pre":
            self._break(blank=True)
            self.pre = max(0, self.pre - 1)
        elif tag in _BLOCK:
            self._break(blank=tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote"))
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.line)[start:].strip()
            if href.lower().startswith(("http:", "https:", "mailto:")) and href not in shown:
                target = href[7:] if href.lower().startswith("mailto:") else href
                self._text(" <%s>" % target if target != shown else "")

    def handle_data(self, data):
        if not self.skip:
            self._text(data)

    def result(self):
        self._break()
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""


def html_to_text(html):
    """Readable text for ``html``; empty when the HTML shows no text."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.result()


class _CidParser(HTMLParser):
    """Attribute values (src, href, background, ...) and CSS url() that are cid: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = set()
        self.style = 0

    def handle_starttag(self, tag, attrs):
        for _name, value in attrs:
            value = (value or "").strip()
            if value[:4].lower() == "cid:":
                self.found.add(unquote(value[4:]))
            else:
                self.found.update(unquote(ref) for ref in _CSS_CID.findall(value))
        if tag == "style":
            self.style += 1

    def handle_endtag(self, tag):
        if tag == "style":
            self.style = max(0, self.style - 1)

    def handle_data(self, data):
        if self.style:
            self.found.update(unquote(ref) for ref in _CSS_CID.findall(data))


def cid_references(html):
    """The Content-IDs that ``html`` refers to as ``cid:...`` URLs (RFC 2392, URL-decoded)."""
    parser = _CidParser()
    parser.feed(html)
    parser.close()
    return parser.found
