#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: send
short_description: Send an e-mail over SMTP, as Flint's smtp.rb flintbit did
version_added: 0.1.0
description:
  - Sends one e-mail with Python's C(smtplib), taking the inputs of the Flint flintbit
    C(flint-util:smtp:operation:smtp.rb) and returning its JSON shape (RV(meta), RV(output)).
  - Secure by default. STARTTLS is required on port 587 and implicit TLS is used on 465. Certificates
    are verified, and a password is never sent in clear text to a host other than loopback.
  - Everything is checked before a connection is opened. This covers addresses, attachment files and
    sizes, and TLS and auth settings. If any recipient is refused, the envelope is reset before DATA,
    so nobody gets a mail that the task reports as failed (see O(on_refused)).
  - It can send from the controller or from the managed host, see O(send_from). A same-name action plugin
    makes that choice. On the controller it sends in-process and no module is copied to a host.
  - Sending from the controller happens once per host in the play. Use C(run_once) for one mail.
  - The message has the smallest correct MIME structure. A plain mail is one C(text/plain) part. HTML with its
    text version is C(multipart/alternative), and inline images make the HTML part C(multipart/related).
    C(multipart/mixed) is used only when there are attachments. RV(mime_structure) shows the tree.
  - Attachments and inline images are read and base64-encoded in chunks while the message is written,
    so memory does not grow with their size, on the controller and on the managed host alike. The exact size
    is known before connecting. It is sent as C(SIZE=), and a server that announces a smaller limit is
    refused before MAIL, with both numbers.
author:
  - flint.smtp contributors (@flint-smtp)
extends_documentation_fragment:
  - flint.smtp._connection
  - flint.smtp._bulk
  - flint.smtp._retry
  - flint.smtp._auth
  - flint.smtp._message
attributes:
  check_mode:
    support: full
    description:
      - Builds and checks the whole message and reports what would be sent; sends nothing.
      - With O(check_connection=true) it also connects, negotiates TLS and logs in, then quits.
  diff_mode:
    support: none
    description: There is nothing to compare; the message is reported in the result instead.
  action:
    support: full
    description: An action plugin decides whether to send from the controller or the managed host.
  async:
    support: partial
    description: Async tasks send from the managed host. O(send_from=controller) with C(async) is refused.
  action_group:
    support: full
    description: Use C(group/flint.smtp.smtp) in C(module_defaults) to set the server options once.
    membership: [flint.smtp.smtp]
  platform:
    support: full
    description: Runs where Python's C(smtplib) runs; on the controller in-process, or on POSIX managed hosts.
    platforms: posix
options:
  connector_name:
    description:
      - Name of the Flint connector, a named profile of server settings (O(target), O(port), O(security),
        O(username), O(password), O(from) and defaults for other options such as O(timeout) or O(cc)).
        A profile cannot set O(attachments), O(messages), O(save_eml), O(save_eml_dir), O(flint_input),
        O(job_id) or O(job_user).
      - Profiles come from the variable C(flint_smtp_connectors), a dict of profiles by name (inventory,
        group_vars, AWX), and for the default name V(smtp) from C(FLINT_SMTP_<OPTION>) environment variables
        on the controller, which the AWX credential type injects. C(FLINT_SMTP_CONNECTOR_NAME) renames that one.
      - "Precedence, highest first: the task's arguments, the profile in C(flint_smtp_connectors),
        the environment, the defaults. An empty value (V(\"\"), Flint's and AWX's \"not given\") does not
        hide a profile value. Credentials are taken from one source only: if the task gives any of them,
        none of the profile's are used."
      - A profile's credentials are only sent to its own O(target). If the task, or a C(flint_smtp_connectors)
        profile over the environment, names another server without credentials of its own, the task fails
        before connecting. With credentials of its own, none of the lower layer's server settings (O(port),
        O(security), O(ca_path) and so on) apply to the other server.
      - Profile values are templated (vault values and lookups work); values Ansible marks unsafe, such as
        AWX survey answers, stay data. A profile's secrets are hidden from results and output like O(password).
      - With O(flint_input=true), connectors may not come from the extra vars (where the Flint input is).
      - The default V(smtp) with no profile sends with the task's arguments alone. Any other name must
        exist; an unknown name fails with exit code 1 and lists the known names.
      - The profile is resolved on the controller before the options are checked, also when sending from
        the managed host.
    type: str
    default: smtp
  from:
    description:
      - Sender address, exactly one. A display name is allowed, for example V(Ops <ops@example.com>).
    type: str
    required: true
  to:
    description:
      - Recipients, as a list with exactly one address in each item, or as one comma-separated string
        the way Flint sent it (V(a@example.com, B <b@example.com>)).
      - "Addresses are read strictly by RFC 5322, the same way on every Python version: V(local@domain),
        V(Name <local@domain>), quoted names and local parts with backslash escapes
        (V(\"Doe, John\" <john@example.com>), V(\"a b\"@example.com)), and comments in parentheses,
        which are dropped. Obsolete forms are refused; so is a display name with a dot that is not quoted
        (write V(\"J. Doe\" <j@example.com>)), a group, and V(;) as a separator."
      - An address that does not read cleanly fails the task (exit code 1) before any connection, naming
        the option and the item. Empty items are skipped.
      - A domain that is not ASCII is sent as IDNA (V(xn--...)) in the envelope and in the headers alike, so
        any server takes it. Only a local part (before the V(@)) that is not ASCII needs a server
        that offers SMTPUTF8.
      - Required, unless every item of O(messages) gives its own.
    type: raw
  cc:
    description:
      - Copy recipients, in the same forms as O(to). They are visible to everyone.
    type: raw
    default: []
  bcc:
    description:
      - Blind copy recipients, in the same forms as O(to). They get the mail, but no header names them.
    type: raw
    default: []
  subject:
    description:
      - Subject line. Line breaks (also VT, FF, NEL, U+2028 and U+2029), for example from a template, are
        folded into one space. Any other control character (NUL, ESC, DEL, ...) fails the task before any
        connection.
      - Non-ASCII text goes out as RFC 2047 encoded words, and long subjects are folded, so every header line
        stays within the 998 octets SMTP allows.
    type: str
    default: ""
  body:
    description:
      - Message text, or HTML with O(content_type=text/html). See O(body_text) for the text version of HTML.
      - The message is always 7-bit clean, quoted-printable or base64 where the text is not plain ASCII,
        so it is valid on a server without 8BITMIME too. Its bytes, and so its size, are known before
        connecting.
      - For a body from a file or a template, use C(lookup('ansible.builtin.template', 'mail.html.j2'))
        (see EXAMPLES).
    type: str
    default: ""
  content_type:
    description:
      - Type of O(body). Flint callers wrote C(content-type), and that spelling is accepted too.
      - Case does not matter, as in MIME (V(text/HTML) is V(text/html)).
    type: str
    default: text/plain
    choices: [text/plain, text/html]
  attachments:
    description:
      - Files to attach, as a list or as one comma-separated string (Flint's form).
      - Each list item is exactly one path, commas included (V(Q3 report, final.pdf) is one file). Only a single
        string is split at commas. Anything but a string or a list of strings is an error.
      - The paths are on the host that sends, see O(send_from). On the controller a relative path is looked up
        like the C(src) of M(ansible.builtin.copy) (role C(files/), playbook directory).
      - Every file is checked before connecting. It must exist, be readable and be within O(max_attachment_size_mb).
      - From the Flint input (O(flint_input=true)) a path must be absolute and, after C(..) and symlinks are
        resolved, inside a directory listed in the controller's environment variable C(FLINT_SMTP_ATTACHMENT_DIRS)
        (absolute directories separated by C(:)). It is unset by default, so the input can attach nothing.
        Exactly the file that was checked is read.
      - Files are streamed, never held in memory whole. A file that changes size or becomes unreadable while it
        is being sent makes the task fail, and the connection is closed before the end of the message, so
        nothing is delivered.
      - File names are sent as UTF-8 (RFC 2231) and keep every character.
    type: raw
    default: []
  max_attachment_size_mb:
    description:
      - Largest size allowed for each attachment, in MB. Flint documented 10 MB. V(0) means no limit.
    type: int
    default: 10
  on_refused:
    description:
      - What to do when the server refuses some of the recipients.
      - V(fail) resets the envelope before DATA, so nobody gets the mail and the task fails.
      - V(warn) sends to the accepted recipients and warns about the rest. If every recipient is refused,
        the task still fails.
      - A server that takes fewer recipients in one transaction than the message has answers the first one
        over its limit with C(452) (RFC 5321 section 4.5.3.1.10). The rest then go in further transactions of the
        same session, and each recipient gets the message exactly once. A C(452) to the first recipient of a
        fresh transaction is a real temporary refusal of that recipient.
      - With V(fail) and more than one transaction, the later recipients are first tried in transactions that
        are reset before DATA, so a refusal fails the task before anyone has the message. The protocol leaves
        one edge. A server may accept a recipient in that check and refuse it moments later, after an earlier
        transaction went out. Then the task fails with RV(sent=true), and RV(accepted) lists who has the message.
    type: str
    default: fail
    choices: [fail, warn]
  check_connection:
    description:
      - In check mode, also connect, negotiate TLS and authenticate, then quit without sending.
        Use this to test credentials.
    type: bool
    default: false
  save_eml:
    description:
      - Write the exact message (the bytes a server would get) to this path as an C(.eml) file, readable only
        by its owner. Bcc recipients are not in it, because they are only in the envelope.
      - Attachments are streamed into the file, as they are to the server.
      - Works in check mode and with O(deliver=false) for a preview.
      - The file is written under a temporary name in the same directory and renamed onto the path, so a symlink
        at the path is replaced, never followed, and the result is always mode C(0600), whatever was there before.
      - Never taken from the Flint input (O(flint_input=true)).
    type: path
  deliver:
    description:
      - Set to V(false) to build the message (and save it with O(save_eml)) without sending it.
    type: bool
    default: true
  send_from:
    description:
      - Where the SMTP connection is opened from.
      - V(controller) sends in-process on the Ansible controller (in AWX, the execution environment).
        No module is copied to the host, and attachment paths are on the controller.
      - V(target) runs the module on the managed host. Attachment paths are on that host.
      - "V(auto) uses the controller when the task's connection is local (C(delegate_to: localhost),
        C(connection: local)) and no become is in effect, else the target."
      - V(controller) cannot run as an C(async) task, and says so; V(auto) and V(target) send async tasks
        from the managed host.
    type: str
    default: auto
    choices: [auto, controller, target]
  job_id:
    description:
      - Flint's C(meta['job-id']) for this send. Leave it unset to get C(job-) and a UUID4, or under AWX
        C(job-awx-<awx job id>-<uuid4>).
      - Set it to tie the result to an id of your own.
    type: str
  job_user:
    description:
      - Flint's C(meta['username']). Leave it unset to get the AWX user who launched the job, or else the login
        user on the controller.
    type: str
  flint_input:
    description:
      - Take the options from the play's variables, the way the Flint JSON arrives (C(-e @input.json), an AWX
        survey or API extra vars). The playbook C(flint.smtp.smtp) sets this.
      - Every option and its aliases can come from a variable of the same name, and C(content-type) as well, except
        O(save_eml), O(save_eml_dir), O(send_from), O(job_id) and O(job_user). Those are refused from the input
        because they write files or decide where and as whom the job runs. Set them on the task.
      - The values are read as they were given and never rendered as templates, on every supported ansible-core.
        So C({{ lookup('pipe', 'id') }}) in a body is mailed literally and runs nothing. A JSON V(null) means
        "not given". Options set on the task (or by C(module_defaults)) win over the input.
      - Attachments from the input, of the message and of every item of O(messages), are read only on the controller
        and only from the directories in C(FLINT_SMTP_ATTACHMENT_DIRS), see O(attachments).
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - Flint read O(username) as C(user_name), and both spellings work. Flint hard-coded port 587 and had no TLS
    options. O(port), O(security), O(validate_certs), O(ca_path) and the other options after O(content_type)
    are additions of this collection.
  - Put the server settings once in C(module_defaults) with the group C(group/flint.smtp.smtp).
  - When run from AWX, C(meta['job-id']) is built from the AWX job id, and C(meta['username']) is the AWX user who
    launched the job.
  - With O(send_from=target) the module runs pipelined (one remote command instead of five) when no C(become) is
    in effect, no tty is requested, the task is not async and pipelining is not configured anywhere. An explicit
    C(pipelining=false) (C(ANSIBLE_PIPELINING), C(ansible.cfg), C(ansible_pipelining)) is obeyed. With C(become),
    your pipelining setting decides, because C(sudo) with C(requiretty) cannot pipeline.
seealso:
  - ref: ansible_collections.flint.smtp.docsite.guide_oauth2
    description: Step-by-step OAuth2 (XOAUTH2) setup for Microsoft 365, Gmail and AWX.
  - name: Flint SMTP operation
    description: The original flintbit whose inputs and output this module keeps.
    link: https://docs.getflint.io/
"""

EXAMPLES = r"""
- name: The keys of a Flint input, as task options (STARTTLS on 587, certificate checked)
  flint.smtp.send:
    connector_name: smtp
    target: smtp.example.com
    from: alerts@example.com
    username: "{{ smtp_user }}"
    password: "{{ smtp_password }}"
    to: oncall@example.com
    cc: lead@example.com
    bcc: audit@example.com
    subject: Disk almost full on db01
    body: /var is 93% full.
    attachments: /var/tmp/df-report.txt
  delegate_to: localhost
  run_once: true

- name: Server settings once, for every send in the play
  module_defaults:
    group/flint.smtp.smtp:
      target: mail.example.com
      port: 465
      username: alerts
      password: "{{ vault_smtp_password }}"
  block:
    - name: HTML report to several people, Flint-style comma-separated recipients
      flint.smtp.send:
        from: "Ops <ops@example.com>"
        to: "oncall@example.com, lead@example.com"
        subject: "Nightly report for {{ inventory_hostname }}"
        content_type: text/html
        body: "<h1>All green</h1>"
      register: mail

    - name: Show the Flint-shaped result
      ansible.builtin.debug:
        var: mail.meta

# group_vars/all/smtp.yml (encrypt the password with ansible-vault):
#   flint_smtp_connectors:
#     office365:
#       target: smtp.office365.com
#       username: alerts@example.com
#       password: "{{ vault_office365_password }}"
#       from: "Alerts <alerts@example.com>"
- name: Send through a named connector; the task gives only the message
  flint.smtp.send:
    connector_name: office365
    to: oncall@example.com
    subject: "Backup of {{ inventory_hostname }} finished"
    body: All good.
  delegate_to: localhost

- name: Send from the managed host, attaching a log that lives there
  flint.smtp.send:
    target: relay.internal.example.com
    port: 25
    security: starttls
    from: "{{ inventory_hostname }}@example.com"
    to: [ops@example.com]
    subject: "Log of {{ inventory_hostname }}"
    attachments: [/var/log/app/last-run.log]
    send_from: target

- name: Test the credentials without sending (run with --check)
  flint.smtp.send:
    target: smtp.office365.com
    from: ops@example.com
    to: ops@example.com
    username: ops@example.com
    password: "{{ vault_smtp_password }}"
    check_connection: true
  check_mode: true
  delegate_to: localhost

- name: Alert that must get through a flaky relay, but never twice
  flint.smtp.send:
    target: relay.internal.example.com
    from: alerts@example.com
    to: oncall@example.com
    subject: "Disk almost full on {{ inventory_hostname }}"
    retries: 4
    retry_delay: 2000
    timeout: 120000
  delegate_to: localhost
  register: alert
- name: HTML report from a template, with its text version, an inline logo and a PDF
  flint.smtp.send:
    target: mail.example.com
    from: "Reports <reports@example.com>"
    to: team@example.com
    reply_to: oncall@example.com
    subject: "Weekly report {{ ansible_date_time.date | default('') }}"
    content_type: text/html
    # The template says <img src="cid:logo">; body_text is derived from the HTML unless given.
    body: "{{ lookup('ansible.builtin.template', 'report.html.j2') }}"
    inline_images:
      - path: files/logo.png
        cid: logo
    attachments: [/srv/reports/weekly.pdf]
    headers:
      X-Report-Id: "{{ report_id }}"
    priority: high
    dsn_notify: [FAILURE, DELAY]
    dsn_return: HDRS
  delegate_to: localhost
  run_once: true

- name: Plain text body from a template, as an answer in an existing thread
  flint.smtp.send:
    target: mail.example.com
    from: ops@example.com
    to: oncall@example.com
    subject: "Re: disk full on {{ inventory_hostname }}"
    body: "{{ lookup('ansible.builtin.template', 'templates/incident.txt.j2') }}"
    in_reply_to: "<incident-4711@example.com>"
  delegate_to: localhost

- name: Microsoft 365 with OAuth2, app-only (client-credentials grant); the token is fetched by the task
  flint.smtp.send:
    target: smtp.office365.com
    username: alerts@example.com
    oauth2_token_url: "https://login.microsoftonline.com/{{ m365_tenant_id }}/oauth2/v2.0/token"
    oauth2_client_id: "{{ m365_client_id }}"
    oauth2_client_secret: "{{ vault_m365_client_secret }}"
    oauth2_scope: https://outlook.office365.com/.default
    from: alerts@example.com
    to: oncall@example.com
    subject: Disk almost full
  delegate_to: localhost

- name: Gmail with an access token from elsewhere (a vault, an AWX credential)
  flint.smtp.send:
    target: smtp.gmail.com
    auth_method: xoauth2
    username: alerts@example.com
    oauth2_token: "{{ gmail_access_token }}"
    from: alerts@example.com
    to: oncall@example.com
    subject: Backup done
  delegate_to: localhost

- name: Preview the exact message without sending it
  flint.smtp.send:
    target: localhost
    from: ops@example.com
    to: ops@example.com
    subject: Preview
    body: Hello
    save_eml: /tmp/preview.eml
    deliver: false
  delegate_to: localhost

- name: Build one personalised message per team
  ansible.builtin.set_fact:
    team_reports: >-
      {{ team_reports | default([]) + [{
           'to': item.lead,
           'subject': 'Weekly report for ' ~ item.name,
           'body': lookup('ansible.builtin.template', 'team-report.j2'),
           'attachments': ['reports/' ~ item.name ~ '.pdf']}] }}
  loop: "{{ teams }}"

- name: Send them all in one task, over one SMTP session
  flint.smtp.send:
    target: smtp.example.com
    username: reports@example.com
    password: "{{ vault_smtp_password }}"
    from: Reports <reports@example.com>
    content_type: text/html
    messages: "{{ team_reports }}"
    rate: 120          # at most 120 messages a minute
    fail_on: never     # report failures per message, do not fail the task
  register: sent
  run_once: true
  delegate_to: localhost

- name: A loop from the controller reuses one open session for all items
  flint.smtp.send:
    target: smtp.example.com
    username: alerts@example.com
    password: "{{ vault_smtp_password }}"
    from: alerts@example.com
    to: "{{ item.owner }}"
    subject: "Disk almost full on {{ item.host }}"
  loop: "{{ full_disks }}"
  delegate_to: localhost
"""

RETURN = r"""
meta:
  description:
    - Flint's job metadata, with Flint's own key names. Read hyphenated keys with brackets,
      for example C(result.meta['exit-code']).
    - C(job-id) is C(job-) and a UUID4. From AWX it is C(job-awx-<awx job id>-<uuid4>).
    - C(exit-code) is V(0) on success. It is V(-1) when the SMTP server, the connection, TLS or authentication
      failed, and V(1) on bad input or an unexpected error. RV(rc) holds the same number.
    - C(context) is always V(flint-util:smtp:operation:smtp.rb), the Flint flintbit this replaces.
    - C(message) is V(success) or the error text. C(timeout) is the timeout in milliseconds.
    - C(timestamp) is when the job ended, in milliseconds since the epoch.
    - C(status) is always V(complete), and C(content-type) is always V(application/json).
    - C(username) is the AWX user who launched the job, else the login user on the controller.
  returned: always
  type: dict
  sample:
    job-id: job-2c30b9ff-2bf0-44bb-b4f8-63941503cc17
    exit-code: 0
    context: flint-util:smtp:operation:smtp.rb
    message: success
    timeout: 60000
    timestamp: 1469599876012
    status: complete
    content-type: application/json
    username: admin
output:
  description: Flint's output.
  returned: always
  type: dict
  contains:
    result:
      description: V(success), or the error text.
      type: str
      sample: success
  sample: {"result": "success"}
rc:
  description: The same as C(meta['exit-code']).
  returned: always
  type: int
  sample: 0
msg:
  description: A one-line summary. On failure it gives host:port, the SMTP phase, the server's code and text, and what to do.
  returned: always
  type: str
  sample: >-
    SMTP auth failed at smtp.example.com:587: the server rejected the credentials
    (server said 535 5.7.8 Authentication credentials invalid). Check username and password; ...
phase:
  description:
    - The step that failed, one of V(input), V(oauth2_token), V(connect), V(ehlo), V(starttls), V(auth), V(mail), V(rcpt),
      V(data), V(internal).
    - V(oauth2_token) is fetching the OAuth2 token from O(oauth2_token_url), before any SMTP connection.
  returned: failure
  type: str
  sample: auth
smtp_code:
  description: The server's reply code for the failing step, when there was one.
  returned: failure from the SMTP server, network, TLS or authentication; null when the server did not answer
  type: int
  sample: 535
smtp_text:
  description: The server's reply text for the failing step.
  returned: failure, when the server answered
  type: str
  sample: 5.7.8 Authentication credentials invalid
sent:
  description:
    - V(false) when nobody got the message (the failure came before the end of DATA was acknowledged,
      or the server refused it).
    - V(null) when the whole message and its final dot went out but no answer came, so the server may
      have queued it. Such a message is never sent again.
    - V(true) when some recipients already got it in an earlier transaction of the session (see O(on_refused));
      RV(accepted) lists them.
  returned: failure from the SMTP server, network, TLS or authentication (exit-code -1)
  type: bool
  sample: false
attempts:
  description:
    - Each attempt that failed, in order, whether the task then succeeded or not. Empty when the first
      attempt worked or nothing was sent. See O(retries).
    - C(attempt) is its number (1 is the first), C(phase), C(smtp_code) and C(smtp_text) are as for the failure
      keys above, C(msg) is its error message, C(started_ms) is when it began (ms after the send began), and
      C(elapsed_ms) is how long it took.
    - With O(messages), each entry of RV(messages) has its own C(attempts) instead.
    - With the task keyword C(until) or C(retries) (not the option O(retries)), Ansible replaces this key with its
      own count of attempts.
  returned: when the message could be built, without O(messages)
  type: list
  elements: dict
  sample:
    - attempt: 1
      phase: rcpt
      smtp_code: 451
      smtp_text: 4.3.0 Local error in processing, try again later
      msg: "SMTP rcpt failed at mail.example.com:587: 1 of 1 recipients refused ..."
      started_ms: 0
      elapsed_ms: 84
message_id:
  description: The Message-ID header of the message.
  returned: when the message could be built
  type: str
  sample: "<170000000000.12345.678@example.com>"
recipients:
  description: Every envelope recipient (To, Cc and Bcc), each once.
  returned: when the message could be built
  type: list
  elements: str
  sample: [oncall@example.com, audit@example.com]
accepted:
  description:
    - Recipients the server accepted. This is empty in check mode.
    - After a failure, who already has the message (almost always nobody, see RV(sent)).
  returned: when the message could be built
  type: list
  elements: str
  sample: [oncall@example.com]
refused:
  description: Recipients the server refused, with its code and text. Only non-empty with O(on_refused=warn).
  returned: when the message could be built
  type: dict
  sample: {"nobody@example.com": {"code": 550, "text": "5.1.1 User unknown"}}
size:
  description:
    - Exact size of the message in bytes, as sent (CRLF line ends, without the dot-stuffing of the DATA
      phase). This is the number sent as C(SIZE=), computed before connecting.
  returned: when the message could be built
  type: int
  sample: 2048
attachments:
  description: The attached files.
  returned: when the message could be built
  type: list
  elements: dict
  sample: [{"path": "/tmp/report.txt", "filename": "report.txt", "size": 120, "content_type": "text/plain"}]
inline_images:
  description: The inline images, with the cid the HTML refers to.
  returned: when the message could be built
  type: list
  elements: dict
  version_added: 0.2.0
  sample: [{"path": "/tmp/logo.png", "filename": "logo.png", "size": 4120, "content_type": "image/png", "cid": "logo"}]
mime_structure:
  description: The MIME tree of the message, parts in order.
  returned: when the message could be built
  type: str
  version_added: 0.2.0
  sample: "multipart/mixed(multipart/alternative(text/plain, multipart/related(text/html, image/png)), application/pdf)"
eml_path:
  description: Where the message was saved, see O(save_eml).
  returned: when O(save_eml) is set
  type: str
  sample: /tmp/preview.eml
session:
  description: How the SMTP session went.
  returned: when the message could be built
  type: dict
  sample: {"host": "smtp.example.com", "port": 587, "security": "starttls", "tls_version": "TLSv1.3", "authenticated": true,
           "reused": false}
  contains:
    reused:
      description:
        - V(true) when this send used the open session of the previous loop item (same server, TLS settings
          and credentials), so no new connect, TLS handshake or login was needed. Only sends from the controller
          reuse sessions; from the managed host it is always V(false).
      returned: always
      type: bool
messages:
  description:
    - With O(messages), one entry per item, in input order.
    - C(error) is null or has C(msg), C(exit_code), C(phase) and, for server failures, C(smtp_code), C(smtp_text) and
      C(sent).
  returned: when O(messages) was given
  type: list
  elements: dict
  sample:
    - {"index": 0, "message_id": "<174.1@example.com>", "recipients": ["a@example.com"], "accepted": ["a@example.com"],
       "refused": {}, "attempts": [], "sent": true, "error": null}
totals:
  description: With O(messages), how many items there were, went out, failed, and ended in an unknown state.
  returned: when O(messages) was given
  type: dict
  sample: {"total": 500, "sent": 498, "failed": 2, "unknown": 0}
send_from:
  description: Where the mail was sent from, V(controller) or V(target).
  returned: always
  type: str
  sample: controller
connector_name:
  description: The O(connector_name) given.
  returned: always
  type: str
  sample: smtp
connector:
  description:
    - The connector profile that was used. It holds no values, only the names of the options
      taken from the profile and where the profile came from.
  returned: when a connector profile was used
  type: dict
  contains:
    name:
      description: The connector's name.
      type: str
      sample: office365
    sources:
      description: Where its options came from, V(flint_smtp_connectors) and/or V(environment).
      type: list
      elements: str
      sample: [flint_smtp_connectors]
    options:
      description: The options taken from the profile (the task gave the others).
      type: list
      elements: str
      sample: [from, password, target, username]
  sample: {"name": "office365", "sources": ["environment"], "options": ["password", "target", "username"]}
  version_added: 0.2.0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC, module_kwargs
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo
from ansible_collections.flint.smtp.plugins.module_utils._scrub import Scrubber
from ansible_collections.flint.smtp.plugins.module_utils._send import run


def main():
    module = AnsibleModule(supports_check_mode=True, **module_kwargs())
    # Ansible masks a whole password or token; this also masks any piece of one an error might show.
    secrets = Scrubber([module.params[name] for name, option in ARGUMENT_SPEC.items() if option.get("no_log")],
                       [module.params["username"]])
    job = JobInfo(module.params["job_id"], module.params["job_user"])
    result = run(module.params, check_mode=module.check_mode, warn=lambda text: module.warn(secrets.text(text)),
                 job=job, send_from="target")
    result = secrets.scrub(result)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
