# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: the options for many messages in one task. Do not use this from other
# collections. Must match plugins/module_utils/_argspec.py (a unit test checks).

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  messages:
    description:
      - Send many messages in one task over one SMTP session instead of one message.
      - Each item is a dict that overrides the message options of the task for that message (O(from), O(to),
        O(cc), O(bcc), O(subject), O(body), O(content_type), O(attachments), O(max_attachment_size_mb), and the
        other message options of this module); the task's values are the defaults for every item. Server, TLS,
        auth and delivery options cannot be set per item.
      - Every item is checked and rendered before the first connection. A bad item fails alone, with its index
        and reason in RV(messages); O(fail_on) decides whether the task fails.
      - The session is reused from message to message; it is opened again after O(max_per_connection)
        messages, and when the server closes it or answers 421. A message is sent again only when nobody can
        have it (see RV(sent)); retries apply to each message.
      - O(timeout) is the budget of each message (connecting, when it falls to that message, included); its
        retries and the waits between them share it (see O(retries)).
      - Personalise with Jinja, for example O(messages) set to a list built with C(map) or a C(loop) of
        C(set_fact); see the examples.
    type: list
    elements: dict
    version_added: 0.2.0
  max_per_connection:
    description:
      - With O(messages), open a new session after this many messages. V(0) means no limit.
      - Many providers limit messages per connection; 100 stays below common limits.
    type: int
    default: 100
    version_added: 0.2.0
  rate:
    description:
      - With O(messages), send at most this many messages per minute, evenly spaced. V(0) means no limit.
    type: int
    default: 0
    version_added: 0.2.0
  fail_on:
    description:
      - With O(messages), when the task fails.
      - V(any) fails the task if any message failed (the others are still sent).
      - V(all) fails it only if no message went out; V(never) reports failures only in RV(messages).
    type: str
    default: any
    choices: [any, all, never]
    version_added: 0.2.0
  save_eml_dir:
    description:
      - With O(messages), write each message as C(<index>-<message id>.eml) into this existing directory,
        readable by the owner only, also when O(deliver=false) or in check mode.
    type: path
    version_added: 0.2.0
"""
