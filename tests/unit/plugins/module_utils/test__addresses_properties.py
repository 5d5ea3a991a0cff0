# -*- coding: utf-8 -*-
"""Property tests of the address reader against a strict RFC 5322 reading.

1. Structured mailboxes with known truth (nasty display names, quoted and escaped local parts,
   comments and white space wherever the RFC allows them, IDNA domains, literals), written
   out in every legal way, as a comma string or as list items: they read back as exactly
   that truth.
2. Random text over the characters that matter: the reader accepts it exactly when an
   independent regular-expression rendering of the RFC 5322 grammar (no obs- forms) does,
   and what it accepts survives writing out and reading back unchanged.
"""
from __future__ import annotations

import re

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._addresses import parse_mailboxes
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._rfc5322 import AddressSyntaxError, parse_address_list

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

NONASCII = "éü漢😀"
ATEXT = "abcXYZ019!#$%&'*+-/=?^_`{|}~" + NONASCII
QTEXT_LOCAL = " abz.,;:@<>()[]\"\\'09" + NONASCII          # what a quoted local part may hold
NAME_CHARS = QTEXT_LOCAL + "\t=?"                            # a display name may also hold a tab
DOMAINS = [("example.com", "example.com"), ("Mail-1.Example.ORG", "Mail-1.Example.ORG"),
           ("x", "x"), ("[192.0.2.7]", "[192.0.2.7]"), ("[IPv6:2001:db8::7]", "[IPv6:2001:db8::7]"),
           ("bücher.example", "xn--bcher-kva.example"), ("EXÄMPLE.de", "xn--exmple-cua.de"),
           ("日本.example", "xn--wgv71a.example"), ("école.fr", "xn--cole-9oa.fr")]
CFWS = ["", " ", "  ", "\t", " (c) ", "(a(b)c)", "(x\\)y)", " (é\\(\t) "]
WORD_GAPS = [" ", "  ", "(c)", " (a (b)) ", "\t"]

_NON = "\u00a0-\u2027\u202a-\ud7ff\ue000-\U0010ffff"  # UTF-8 non-ASCII minus C1, U+2028/9, surrogates
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%%&'*+/=?^_`{|}~\-%s]+(?:\.[A-Za-z0-9!#$%%&'*+/=?^_`{|}~\-%s]+)*" % (_NON, _NON))


def _expected_local(local):
    """RFC 5321 writes a local part bare when it is a dot-atom, else quoted (\\ and " escaped)."""
    if _DOT_ATOM.fullmatch(local):
        return local
    return '"%s"' % local.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text, draw):
    """A quoted-string for text, escaping what must be and, at random, other characters too."""
    out = []
    for char in text:
        if char in '\\"' or (char != "\t" and draw(st.integers(0, 5)) == 0):
            out.append("\\" + char)
        else:
            out.append(char)
    return '"%s"' % "".join(out)


dot_atoms = st.lists(st.text(st.sampled_from(ATEXT), min_size=1, max_size=6), min_size=1, max_size=3).map(".".join)


@st.composite
def mailboxes(draw):
    """(written form, expected name, expected addr)."""
    def gap():
        return draw(st.sampled_from(CFWS))

    local = draw(st.one_of(dot_atoms, st.text(st.sampled_from(QTEXT_LOCAL), min_size=1, max_size=10)))
    domain, ascii_domain = draw(st.sampled_from(DOMAINS))
    written_local = local if _DOT_ATOM.fullmatch(local) and draw(st.booleans()) else _quote(local, draw)
    addr_spec = gap() + written_local + gap() + "@" + gap() + domain + gap()
    expected_addr = "%s@%s" % (_expected_local(local), ascii_domain)
    words = draw(st.lists(st.text(st.sampled_from(ATEXT.replace("=", "").replace("?", "")), min_size=1,
                                  max_size=6), max_size=3))
    name = draw(st.one_of(st.just(" ".join(words)), st.text(st.sampled_from(NAME_CHARS), max_size=16)))
    if not name and draw(st.booleans()):
        return gap() + addr_spec.strip(" \t") + gap(), "", expected_addr
    if name and name == " ".join(words) and draw(st.booleans()):
        phrase = "".join(word + (draw(st.sampled_from(WORD_GAPS)) if i < len(words) - 1 else "")
                         for i, word in enumerate(words))
    else:
        phrase = _quote(name, draw) if name else ""
    return gap() + phrase + gap() + "<" + addr_spec + ">" + gap(), name, expected_addr


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(st.lists(mailboxes(), min_size=1, max_size=5), st.booleans(), st.data())
def test_structured_mailboxes_read_back_as_written(boxes, as_list, data):
    if as_list:
        value = [written for written, _name, _addr in boxes]
    else:
        value = ""
        for written, _name, _addr in boxes:
            value += written + "," + data.draw(st.sampled_from(["", " ", " ,", "(empty),"]))
    parsed = parse_mailboxes(value, "to")
    assert [(m.name, m.addr) for m in parsed] == [(name, addr) for _written, name, addr in boxes]


# -- 2. random text against the grammar as one regular expression --------------------------

_NONASCII = "[%s]" % _NON
_ATEXT_RE = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]|" + _NONASCII + ")"
_QP = r"(?:\\[\t -~]|\\" + _NONASCII + ")"
_CTEXT = r"(?:[!-'*-\[\]-~]|" + _NONASCII + ")"
_QTEXT = r"(?:[!#-\[\]-~]|" + _NONASCII + ")"
_COMMENT0 = r"\((?:[ \t]|%s|%s)*\)" % (_CTEXT, _QP)
_COMMENT1 = r"\((?:[ \t]|%s|%s|%s)*\)" % (_CTEXT, _QP, _COMMENT0)
_COMMENT = r"\((?:[ \t]|%s|%s|%s)*\)" % (_CTEXT, _QP, _COMMENT1)  # nested three deep
_CFWS = r"(?:[ \t]|%s)*" % _COMMENT
_QUOTED = r'"(?:[ \t]|%s|%s)*"' % (_QTEXT, _QP)
_DOTATOM = r"%s+(?:\.%s+)*" % (_ATEXT_RE, _ATEXT_RE)
# Written so that no text can be matched in two ways (which would backtrack exponentially):
# an atom is never followed by atext, and white space belongs to the token before it.
_ATOM = r"%s+(?!%s)" % (_ATEXT_RE, _ATEXT_RE)
_PHRASE = r"%s(?:(?:%s|%s)%s)+" % (_CFWS, _ATOM, _QUOTED, _CFWS)
_LOCAL = r"%s(?:%s|%s)%s" % (_CFWS, _DOTATOM, _QUOTED, _CFWS)
_DOMAIN = r"%s(?:%s|\[(?:[!-Z^-~]|%s)*\])%s" % (_CFWS, _DOTATOM, _NONASCII, _CFWS)
_ADDR_SPEC = "%s@%s" % (_LOCAL, _DOMAIN)
_MAILBOX = r"(?:(?:%s|%s)<%s>%s|%s)" % (_PHRASE, _CFWS, _ADDR_SPEC, _CFWS, _ADDR_SPEC)
_MEMBER = "(?:%s|%s)" % (_MAILBOX, _CFWS)
ADDRESS_LIST = re.compile("%s(?:,%s)*" % (_MEMBER, _MEMBER))

# Address-shaped fragments, so that a fair share of the random text is valid (or nearly so).
_FRAGMENTS = list('ab.@ ,"\\()<>[]:;-_1\t') + [
    "é", "\n", "\x00", "\u2028", "\x7f", "bob", "x.org", "@x.org", "a@b", "a.b", '"q u"', '"', "(c)", "<a@x.org>",
    "[127.0.0.1]", "[IPv6:::1]", "Bob ", ", ", "\\\"", "straße", "xn--", "-x", "..", "=?utf-8?b?QQ==?="]


@st.composite
def _mutated(draw):
    """A valid address list with one fragment put in or one stretch cut out somewhere."""
    text = ",".join(written for written, _name, _addr in draw(st.lists(mailboxes(), min_size=1, max_size=2)))
    start = draw(st.integers(0, len(text)))
    if draw(st.booleans()):
        return text[:start] + draw(st.sampled_from(_FRAGMENTS)) + text[start:]
    return text[:start] + text[start + draw(st.integers(1, 3)):]


GARBAGE = st.one_of(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join), _mutated())


def _depth(text):
    """How deep parentheses nest (escaped ones skipped); never less than a comment's depth."""
    depth = deepest = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def _reader_accepts(text):
    try:
        parse_address_list(text)
    except AddressSyntaxError:
        return False
    return True


@hypothesis.settings(max_examples=1500, deadline=None)
@hypothesis.given(GARBAGE)
def test_random_text_is_accepted_exactly_when_the_grammar_allows_it(text):
    hypothesis.assume(_depth(text) <= 3)  # the regular expression nests comments three deep
    accepted = _reader_accepts(text)
    hypothesis.event("accepted" if accepted else "refused")
    assert accepted == bool(ADDRESS_LIST.fullmatch(text)), text


@hypothesis.settings(max_examples=1500, deadline=None)
@hypothesis.given(GARBAGE)
def test_what_is_accepted_survives_a_round_trip(text):
    try:
        parsed = parse_mailboxes(text, "to")
    except InputError:
        hypothesis.event("refused")
        return
    hypothesis.event("accepted, %s mailboxes" % ("some" if parsed else "no"))
    again = []
    for box in parsed:
        written = box.addr if not box.name else '"%s" <%s>' % (
            box.name.replace("\\", "\\\\").replace('"', '\\"'), box.addr)
        again.extend(parse_mailboxes([written], "to"))
    assert [(m.name, m.addr) for m in again] == [(m.name, m.addr) for m in parsed]
    assert [m.addr for m in parse_mailboxes(", ".join(m.addr for m in parsed), "to")] == [m.addr for m in parsed]
