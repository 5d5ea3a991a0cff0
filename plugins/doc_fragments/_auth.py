# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: SMTP authentication options beyond username/password (OAuth2, XOAUTH2). Do not use
# this from other collections. Must match plugins/module_utils/_argspec.py (a unit test checks).

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  auth_method:
    description:
      - How to log in to the SMTP server.
      - V(auto) uses XOAUTH2 when any C(oauth2_*) option is set, a password login when O(password) is set,
        and no login at all when neither is.
      - V(password) logs in with O(username) and O(password) (CRAM-MD5, PLAIN or LOGIN, whichever the server
        offers). Microsoft 365 and Gmail are turning this off; their refusals get a hint to use V(xoauth2).
      - V(xoauth2) sends an OAuth 2.0 access token with the SASL mechanism XOAUTH2, as Microsoft 365 and Gmail
        expect. The user is O(username), the mailbox the token is for. The token is O(oauth2_token), or is
        fetched from O(oauth2_token_url).
      - A password and OAuth2 options together are an error, as are C(oauth2_*) options with V(password).
    type: str
    default: auto
    choices: [auto, password, xoauth2]
    version_added: 0.2.0
  oauth2_token:
    description:
      - An OAuth 2.0 access token to log in with XOAUTH2, for example from a vault, a lookup or an AWX credential.
      - Access tokens are short-lived (often one hour). To let the task get a fresh one, use O(oauth2_token_url)
        instead; the two are mutually exclusive.
      - Never shown in results, warnings, errors or logs.
    type: str
    version_added: 0.2.0
  oauth2_token_url:
    description:
      - The token endpoint to fetch an access token from, once per task, before the SMTP connection is opened.
        If the endpoint refuses, the task fails with its OAuth C(error) and C(error_description) and no SMTP
        connection is opened.
      - Microsoft 365 uses C(https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token), Google uses
        C(https://oauth2.googleapis.com/token).
      - Must be C(https://). The endpoint's certificate is always verified, whatever O(validate_certs) says
        (that option is about the SMTP server); see O(oauth2_ca_path). Redirects are not followed.
      - The request is sent from where the task sends the mail (see O(send_from)) and honours the
        C(HTTPS_PROXY) and C(NO_PROXY) environment variables there. It has the same time limit, O(timeout).
      - Needs O(oauth2_client_id), and either O(oauth2_refresh_token) (refresh-token grant) or O(oauth2_scope)
        (client-credentials grant).
    type: str
    version_added: 0.2.0
  oauth2_client_id:
    description:
      - The application (client) ID registered with the identity provider. Used with O(oauth2_token_url).
    type: str
    version_added: 0.2.0
  oauth2_client_secret:
    description:
      - The client secret of that application, sent in the form (C(client_secret_post)).
      - Required for the client-credentials grant. Optional for the refresh-token grant, for public clients.
      - Never shown in results, warnings, errors or logs.
    type: str
    version_added: 0.2.0
  oauth2_refresh_token:
    description:
      - A refresh token; when set, the token is fetched with the refresh-token grant (Google, or Microsoft 365
        delegated access). O(oauth2_scope) is sent too when set.
      - A new refresh token in the reply is ignored; the task cannot store it.
      - Never shown in results, warnings, errors or logs.
    type: str
    version_added: 0.2.0
  oauth2_scope:
    description:
      - The scope to ask for. Without O(oauth2_refresh_token) the client-credentials grant is used, and the scope
        is required, for Microsoft 365 app-only access V(https://outlook.office365.com/.default).
      - Several scopes are separated by spaces, as OAuth 2.0 writes them.
    type: str
    version_added: 0.2.0
  oauth2_ca_path:
    description:
      - PEM file (or directory of hashed certificates) of the CA(s) to trust for O(oauth2_token_url) instead of
        the system store. Separate from O(ca_path), because the token endpoint and the SMTP server are usually
        different hosts with different CAs.
    type: path
    version_added: 0.2.0
"""
