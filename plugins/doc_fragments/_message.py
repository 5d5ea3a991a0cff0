# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: the message options (body alternatives, inline images, headers, DSN) of
# flint.smtp.send. Do not use this from other collections. Must match
# plugins/module_utils/_argspec.py (a unit test checks).

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  body_text:
    description:
      - The plain-text version of an HTML O(body) (O(content_type=text/html)). The mail is then
        C(multipart/alternative), and clients that do not show HTML (and spam filters) read this text.
      - When not set, a readable text is derived from the HTML (paragraphs, line breaks, lists, link targets),
        unless O(derive_body_text=false).
      - With O(content_type=text/plain) this is an error. Put the text in O(body) instead.
    type: str
    version_added: 0.2.0
  derive_body_text:
    description:
      - Derive the plain-text version of an HTML O(body) when O(body_text) is not given.
      - Set to V(false) to send the HTML alone, as a single C(text/html) part.
    type: bool
    default: true
    version_added: 0.2.0
  inline_images:
    description:
      - Images shown inside the HTML O(body), which refers to each as C(<img src="cid:CID">).
        The HTML part and its images are sent as C(multipart/related).
      - Needs O(content_type=text/html). A C(cid:) reference in the HTML without an image here, or an image
        the HTML never refers to, is an input error.
      - Paths are on the host that sends, like O(attachments), and O(max_attachment_size_mb) applies to each.
      - Read and encoded in chunks while sending, like attachments.
    type: list
    elements: dict
    default: []
    version_added: 0.2.0
    suboptions:
      path:
        description: The image file.
        type: path
        required: true
      cid:
        description:
          - The Content-ID the HTML refers to, without C(cid:) and angle brackets, for example V(logo).
          - Printable ASCII without spaces. Each cid must be unique.
        type: str
        required: true
      content_type:
        description: The MIME type, for example V(image/png). Guessed from the file name when not set.
        type: str
  reply_to:
    description:
      - Addresses for replies (the C(Reply-To) header), in the same forms as O(to).
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  headers:
    description:
      - Extra headers, as a dictionary of names and values, for example C(X-Ticket-Id) or C(List-Unsubscribe).
      - Names must be printable ASCII without spaces or colons. Names and values with control characters
        (CR, LF, NUL, other C0/C1 controls, U+2028, U+2029) are refused. Non-ASCII values are encoded.
      - A header with an empty or null value is left out, so no empty header is ever sent.
      - Headers that the module sets itself (C(From), C(To), C(Cc), C(Bcc), C(Sender), C(Date), C(Message-ID),
        C(Subject), C(Reply-To), C(In-Reply-To), C(References), any C(Content-*), and the priority headers when
        O(priority) is set) are refused unless O(headers_override=true).
      - C(MIME-Version), C(Content-Type), C(Content-Transfer-Encoding), C(Content-Disposition) and C(Content-ID)
        describe the MIME structure and are always refused.
    type: dict
    default: {}
    version_added: 0.2.0
  headers_override:
    description:
      - Let O(headers) replace the headers the module sets, see O(headers). Address headers and C(Date) must
        still parse, and message ids must have the form C(<id@host>).
      - The envelope does not change. A C(To) header replaced here does not change who gets the mail, and a
        C(Bcc) header given here is seen by every recipient.
    type: bool
    default: false
    version_added: 0.2.0
  in_reply_to:
    description:
      - Message-ID of the mail this one answers (C(In-Reply-To)), so that clients thread them.
        The angle brackets are optional.
      - When O(references) is empty, C(References) is set to this id too.
    type: str
    version_added: 0.2.0
  references:
    description:
      - Message-IDs of the thread, oldest first (C(References)). Items may also be space-separated.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  priority:
    description:
      - V(high) or V(low) sets C(X-Priority), C(Importance) and C(Priority), which the common clients show.
        V(normal) or unset adds none of them.
    type: str
    choices: [high, normal, low]
    version_added: 0.2.0
  message_id_domain:
    description:
      - The domain after the C(@) of the generated C(Message-ID). Defaults to the domain of O(from)
        (IDNA-encoded if it is not ASCII). No DNS lookup is made.
    type: str
    version_added: 0.2.0
  dsn_notify:
    description:
      - Ask for delivery status notifications (RFC 3461) for every recipient. V(NEVER) alone, or any of
        V(SUCCESS), V(FAILURE) and V(DELAY).
      - Only sent when the server offers DSN. Otherwise the mail is sent without it and a warning says so.
    type: list
    elements: str
    default: []
    choices: [NEVER, SUCCESS, FAILURE, DELAY]
    version_added: 0.2.0
  dsn_return:
    description:
      - What a delivery status notification carries back, V(FULL) (the whole message) or V(HDRS) (its headers).
      - Only sent when the server offers DSN.
    type: str
    choices: [FULL, HDRS]
    version_added: 0.2.0
"""
