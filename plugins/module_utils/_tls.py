# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: TLS settings. Do not use this from other collections.

smtplib's own default for starttls() and SMTP_SSL is an unverified context
(ssl._create_stdlib_context): any certificate passes. We always pass our own.
"""

from __future__ import annotations

import os
import ssl

from ._errors import InputError

__all__ = ["resolve_security", "tls_context"]


def resolve_security(security, port):
    """Implicit TLS on 465 (RFC 8314), STARTTLS everywhere else, unless the user chose."""
    if security:
        return security
    return "tls" if port == 465 else "starttls"


def tls_context(validate_certs=True, ca_path=None):
    """A client context that checks the chain and the host name, unless told not to.

    ``ca_path`` is a PEM file or a directory of hashed certificates (c_rehash). Like
    curl's --cacert it replaces the system store: only that CA is trusted.
    """
    if ca_path and not os.path.exists(ca_path):
        raise InputError("ca_path %s does not exist" % ca_path)
    if not validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        if ca_path and os.path.isdir(ca_path):
            context = ssl.create_default_context(capath=ca_path)
        else:
            context = ssl.create_default_context(cafile=ca_path)
    except (ssl.SSLError, OSError) as exc:
        raise InputError("ca_path %s is not a usable CA certificate file or directory: %s" % (ca_path, exc))
    return context
