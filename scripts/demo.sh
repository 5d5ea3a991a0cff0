#!/usr/bin/env bash
# The README's demo: send a real mail with an attachment through flint.smtp.send.
#
# Starts an SMTP server on 127.0.0.1 that speaks STARTTLS with a throw-away CA and asks for a
# password (the settings a real submission server has), feeds a Flint input JSON to the
# collection's playbook flint.smtp.smtp, prints the Flint output JSON and shows where the
# message landed and what the server saw. Nothing leaves this machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STACK="${DEMO_STACK:-py311}"
VENV="$VENV_ROOT/$STACK"
[[ -x "$VENV/bin/ansible-playbook" ]] || die "no $STACK venv: run 'make demo' (it bootstraps first)"
export PATH="$VENV/bin:$PATH"

DEMO="$BUILD_DIR/demo"
rm -rf "$DEMO" && mkdir -p "$DEMO/store"
mkdir -p "$BUILD_DIR/collections/ansible_collections/flint"
ln -sfn "$REPO_ROOT" "$BUILD_DIR/collections/ansible_collections/flint/smtp"
export ANSIBLE_COLLECTIONS_PATH="$BUILD_DIR/collections"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

PASSWORD="demo-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
python "$REPO_ROOT/tests/support/smtp_server.py" --mode starttls --port 0 --store "$DEMO/store" \
    --ready-file "$DEMO/ready.json" --auth-user demo --auth-password "$PASSWORD" --require-auth \
    --parent-pid $$ --max-seconds 120 >"$DEMO/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$DEMO/ready.json" ]] && break; sleep 0.1; done
[[ -s "$DEMO/ready.json" ]] || { cat "$DEMO/server.log"; die "the demo SMTP server did not start"; }
PORT=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$DEMO/ready.json")
CA=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_path"])' "$DEMO/ready.json")

printf 'Disk usage report\n%s\n' "$(df -h / | tail -1)" >"$DEMO/report.txt"
# Flint's sample input, pointed at the local server; security and ca_path are our additions.
cat >"$DEMO/input.json" <<EOF
{
  "connector_name": "smtp",
  "target": "127.0.0.1:$PORT",
  "security": "starttls",
  "ca_path": "$CA",
  "from": "Flint Demo <anurag.dubey@infiverve.com>",
  "username": "demo",
  "password": "$PASSWORD",
  "to": "pratap.patil@infiverve.com",
  "cc": "ops@infiverve.com",
  "bcc": "audit@infiverve.com",
  "subject": "Testing SMTP connector",
  "body": "Hello ... this mail was sent by flint.smtp.send.",
  "attachments": "$DEMO/report.txt"
}
EOF

echo "==> SMTP server on 127.0.0.1:$PORT (STARTTLS, test CA $CA, AUTH required)"
# The input may only attach files from the directories the job's owner allows (the migration guide).
export FLINT_SMTP_ATTACHMENT_DIRS="$DEMO"
echo "==> ansible-playbook flint.smtp.smtp -e @$DEMO/input.json"
ansible-playbook flint.smtp.smtp -e "@$DEMO/input.json" | tee "$DEMO/playbook.log" | sed -n '/TASK \[Flint output JSON\]/,$p'

python - "$DEMO/store" <<'EOF'
import email, email.policy, glob, json, os, sys
store = sys.argv[1]
records = sorted(glob.glob(os.path.join(store, "*.json")))
if not records:
    sys.exit("no message arrived at the demo server")
rec = json.load(open(records[-1]))
msg = email.message_from_bytes(open(rec["data_path"], "rb").read(), policy=email.policy.default)
print("==> The message landed in %s" % rec["data_path"])
print("    envelope: MAIL FROM %s, RCPT TO %s" % (rec["mail_from"], ", ".join(rec["rcpt_tos"])))
print("    session:  TLS %s, authenticated as %s" % (rec.get("tls_version") or rec.get("tls"), rec.get("auth_user")))
for name in ("From", "To", "Cc", "Subject", "Message-ID"):
    print("    %-9s %s" % (name + ":", msg[name]))
print("    Bcc header: %s (audit@ got it through the envelope only)" % msg["Bcc"])
for part in msg.iter_attachments():
    print("    attachment: %s (%s, %d bytes)" % (part.get_filename(), part.get_content_type(),
                                               len(part.get_content())))
EOF
