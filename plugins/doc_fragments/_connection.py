# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: the SMTP server options shared by this collection's modules. Do not use this
# from other collections. Must match plugins/module_utils/_argspec.py (a unit test checks).

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  target:
    description:
      - Host name or IP address of the SMTP server (Flint's O(target)).
      - May carry the port, as V(mail.example.com:2525) or V([2001:db8::25]:2525); that port wins over O(port).
    type: str
    required: true
    aliases: [host]
  port:
    description:
      - TCP port of the SMTP server. Flint always used 587.
    type: int
    default: 587
  security:
    description:
      - How the connection is protected.
      - V(starttls) connects in plain text and upgrades with STARTTLS before anything else is sent;
        a server that does not offer STARTTLS is an error, never a silent plain-text send.
      - V(tls) is implicit TLS from the first byte (usually port 465).
      - V(none) sends in plain text. With credentials this is refused unless the server is on
        loopback or O(allow_plaintext_auth=true).
      - When not set, V(tls) if O(port=465), else V(starttls).
    type: str
    choices: [starttls, tls, none]
  validate_certs:
    description:
      - Verify the server certificate chain and that it names O(target), for both STARTTLS and
        implicit TLS.
      - Only set to V(false) for a lab server; prefer O(ca_path) for a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or directory of hashed certificates) of the CA(s) to trust instead of the system store.
    type: path
  allow_plaintext_auth:
    description:
      - Allow sending O(username) and O(password) over an unencrypted connection to a server
        that is not on loopback. Off by default because anyone on the path can read them.
    type: bool
    default: false
  username:
    description:
      - User name for SMTP AUTH. O(user_name) is what the real Flint flintbit read.
      - With XOAUTH2 (see O(auth_method)) it is the mailbox the OAuth2 token is for, and O(password) stays unset.
      - Leave O(username) and O(password) both unset for an unauthenticated relay.
    type: str
    aliases: [user_name]
  password:
    description:
      - Password for SMTP AUTH. Never shown in results, warnings, errors or logs.
    type: str
  timeout:
    description:
      - Time budget in B(milliseconds), as in Flint, for the whole send, from connecting to QUIT
        (later retries included); not a limit per step. Each socket operation gets what is left of it.
      - Values under V(1000) are refused, because they are nearly always seconds typed by mistake;
        values over one day (V(86400000)) are refused too.
      - This is not the task keyword C(timeout:), which Ansible counts in seconds and which ends the
        task from outside. Use this option to bound the send itself.
    type: int
    default: 60000
  ehlo_name:
    description:
      - Name to announce in EHLO, a domain name or an address literal such as V([192.0.2.1]) or
        V([IPv6:2001:db8::1]). It is checked before connecting; a non-ASCII name is sent as IDNA.
      - Defaults, without any DNS query, to this machine's host name if it is fully qualified, else to a
        fully qualified name for it in C(/etc/hosts), else to the address literal of the local end of the
        connection (RFC 5321 section 4.1.4).
    type: str
"""
