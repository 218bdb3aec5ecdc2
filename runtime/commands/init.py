"""``mailwright init DIR``: a working setup in DIR.

Writes ``mailwright.toml`` (SQLite database, blob folder, the schema, the handler, the
secret key file), ``schema.toml`` (a copy of the default schema, to extend), the secret
key file (mode 0600), ``handler.jexl`` (the original product's INVOICES example), its
handler tests (``handler.test.toml``) and sample e-mails under ``samples/``; then creates
and migrates the database. Afterwards ``mailwright run handler.jexl --eml
samples/invoice.eml --purpose INVOICES`` and ``mailwright test`` work there.
Refuses to overwrite a ``mailwright.toml`` that exists.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from rich.console import Console

from mailstore.api import Store
from mailstore.config import load_config
from mailstore.secrets import load_secret_box

from ._common import UsageError

NAME = "init"
HELP = "set up a working mailwright folder (config, database, key, example handler)"
DESCRIPTION = (
    "Set up DIR: mailwright.toml, a migrated SQLite database, the default schema, a secret "
    "key file, an example handler with its tests and sample e-mails. Then `mailwright run` "
    "and `mailwright test` work there."
)

#: the original product's INVOICES example, verbatim (also examples/invoices/handler.jexl)
HANDLER = """var purpose = entity.mailAccount.purpose;
if (entity.attachments.size() < 1) {
return null;
}
if (purpose == 'INVOICES') {
var sd = createNew('SubmittedDocument');
sd.state = findState('SubmittedDocument', 'NEW');
var attNames = [...];
for (var item: entity.attachments) {
var att = createNew('SubmittedDocumentAttachment');
att.attachedFile = item.attachedFile;
sd.attachments.add(att);
attNames.add(item.attachedFile.name);
}
sd.attachmentNames = join(attNames, ', ');
sd.note = `email přijatý od ${entity.mailFrom} (id ${entity.id} )`;
persist(sd);
}
"""

CONFIG = """# mailwright settings; every setting is optional (see the README).
[database]
url = "sqlite:///mailwright.db"

[storage]
blobs = "blobs"
schema = "schema.toml"

[handler]
script = "handler.jexl"

[secrets]
keyFile = "secret.key"

# [time]
# zone = "Europe/Prague"      # default: the machine's
# [limits]
# steps = 10000000
# [log]                       # what cron runs write; errors also go to the exit status
# file = "mailwright.log"
# level = "INFO"              # WARNING: only problems
# [mail]
# smtpProperties = "mail.properties"   # the legacy Java file; an `smtp add --default` wins
# autoRepliesPerHour = 10
# [retention]                 # applied by `mailwright gc --yes`; 0 keeps forever
# rawMessageDays = 365
# runDays = 90
"""

_PDF_1 = "JVBERi0xLjQKJSBmYWt0dXJhIGMuIDEKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK"
_PDF_2 = "JVBERi0xLjQKJSBkb2RhY2kgbGlzdAoxIDAgb2JqPDw+PmVuZG9iagp0cmFpbGVyPDw+PgolJUVPRgo="
_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9\n"
    "awAAAABJRU5ErkJggg=="
)

#: a real detached S/MIME signature (PKCS #7, SHA-256, a self-signed certificate of
#: jana@dodavatel.cz) over the signed part of INVOICE_SIGNED as sent, with CRLF line ends:
#: `openssl smime -verify -noverify -in invoice-signed.eml` accepts it
_SIGNATURE = (
    "MIIDPgYJKoZIhvcNAQcCoIIDLzCCAysCAQExDzANBglghkgBZQMEAgEFADALBgkqhkiG9w0BBwGg\n"
    "ggGeMIIBmjCCAUCgAwIBAgIUSZMFt8Ygv4ZD1WAcelB495oyCkkwCgYIKoZIzj0EAwIwPDEYMBYG\n"
    "A1UEAwwPSmFuYSBOb3bDoWtvdsOhMSAwHgYJKoZIhvcNAQkBFhFqYW5hQGRvZGF2YXRlbC5jejAe\n"
    "Fw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMDwxGDAWBgNVBAMMD0phbmEgTm92w6Frb3bD\n"
    "oTEgMB4GCSqGSIb3DQEJARYRamFuYUBkb2RhdmF0ZWwuY3owWTATBgcqhkjOPQIBBggqhkjOPQMB\n"
    "BwNCAASZrZusyn4Q9vtGyejFg7DlIuIXO/zO8vdtcC+eueA2jcQXEfUhgSaGvtbnAG8VdVNpquu0\n"
    "kTdCoS4l4RqufZ0zoyAwHjAcBgNVHREEFTATgRFqYW5hQGRvZGF2YXRlbC5jejAKBggqhkjOPQQD\n"
    "AgNIADBFAiA2yMqaUPoxV3vx1RxD/txhBmTQidjnAE0FjtvQpRdV5wIhALC4NdV600RQxIc8/U2N\n"
    "OalwsuKlZ7eIZg+Acd4srOhYMYIBZDCCAWACAQEwVDA8MRgwFgYDVQQDDA9KYW5hIE5vdsOha292\n"
    "w6ExIDAeBgkqhkiG9w0BCQEWEWphbmFAZG9kYXZhdGVsLmN6AhRJkwW3xiC/hkPVYBx6UHj3mjIK\n"
    "STANBglghkgBZQMEAgEFAKCBoTAYBgkqhkiG9w0BCQMxCwYJKoZIhvcNAQcBMBwGCSqGSIb3DQEJ\n"
    "BTEPFw0yNjExMjcxMzQ1MThaMC8GCSqGSIb3DQEJBDEiBCDbEaCbKUROP88R+TJwcQhj8AYqALtS\n"
    "eVvRBpkEgYiX1zA2BgkqhkiG9w0BCQ8xKTAnMAsGCWCGSAFlAwQBKjALBglghkgBZQMEARYwCwYJ\n"
    "YIZIAWUDBAECMAoGCCqGSM49BAMCBEYwRAIgScvfDseYJ+gmLIdFEm4xKo0ppzK5Wz0WBAWl8SO4\n"
    "L28CICBDhrUyOYSliSyR1S3RxpCIZAHN9vr1Qn7qAlAaKJ6r\n"
)

_HEAD = """From: =?utf-8?q?Jana_Nov=C3=A1kov=C3=A1?= <jana@dodavatel.cz>
To: faktury@odberatel.cz
Subject: =?utf-8?q?Faktura_=C4=8D=2E_1?=
Date: Tue, 03 Mar 2026 09:15:00 +0100
Message-ID: <{mid}@dodavatel.cz>
MIME-Version: 1.0
"""

_ATTACHMENTS = f"""--mix
Content-Type: application/pdf; name*=utf-8''faktura%20%C4%8D.%201.pdf
Content-Disposition: attachment; filename*=utf-8''faktura%20%C4%8D.%201.pdf
Content-Transfer-Encoding: base64

{_PDF_1}

--mix
Content-Type: application/pdf; name*=utf-8''dodac%C3%AD%20list.pdf
Content-Disposition: attachment; filename*=utf-8''dodac%C3%AD%20list.pdf
Content-Transfer-Encoding: base64

{_PDF_2}

--mix--
"""

_TEXT = """Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dobrý den,

v příloze posíláme fakturu č. 1 a dodací list.

S pozdravem
Jana Nováková
"""

#: an e-mail with two attachments, `faktura č. 1.pdf` and `dodací list.pdf`
INVOICE = (
    _HEAD.format(mid="faktura-1")
    + 'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\n'
    + _TEXT
    + "\n"
    + _ATTACHMENTS
)

#: the same, S/MIME-signed, with an HTML body showing an inline logo
INVOICE_SIGNED = (
    _HEAD.format(mid="faktura-1-podepsana")
    + 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
    + 'micalg=sha-256; boundary="sig"\n\n'
    + "This is a cryptographically signed message in MIME format.\n\n"
    + '--sig\nContent-Type: multipart/mixed; boundary="mix"\n\n'
    + '--mix\nContent-Type: multipart/related; boundary="rel"; type="multipart/alternative"\n\n'
    + '--rel\nContent-Type: multipart/alternative; boundary="alt"\n\n--alt\n'
    + _TEXT
    + "--alt\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    + '<p><img src="cid:logo@dodavatel.cz" alt="Dodavatel s.r.o."></p>\n'
    + "<p>Dobrý den,</p><p>v příloze posíláme fakturu č. 1 a dodací list.</p>\n"
    + "--alt--\n"
    + '--rel\nContent-Type: image/png; name="logo.png"\nContent-ID: <logo@dodavatel.cz>\n'
    + 'Content-Disposition: inline; filename="logo.png"\nContent-Transfer-Encoding: base64\n\n'
    + _PNG
    + "\n\n--rel--\n"
    + _ATTACHMENTS
    + "\n--sig\n"
    + 'Content-Type: application/pkcs7-signature; name="smime.p7s"\n'
    + 'Content-Disposition: attachment; filename="smime.p7s"\n'
    + "Content-Transfer-Encoding: base64\n\n"
    + _SIGNATURE
    + "\n--sig--\n"
)

#: an English e-mail without attachments
NO_ATTACHMENTS = """From: John Smith <john@supplier.example>
To: invoices@buyer.example
Subject: Invoice coming tomorrow
Date: Tue, 03 Mar 2026 10:00:00 +0000
Message-ID: <no-attachments@supplier.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello, the invoice will follow tomorrow.

John
"""

#: the handler's tests (``mailwright test`` in the folder), as examples/invoices has them
HANDLER_TESTS = """# Tests of handler.jexl: run them with `mailwright test` (each is a dry run)
script = "handler.jexl"
purpose = "INVOICES"

[[test]]
name = "an invoice with two attachments makes one document"
eml = "samples/invoice.eml"

[test.expect]
created_count = 3
queued_count = 0

[[test.expect.created]]
type = "SubmittedDocument"
count = 1
[test.expect.created.fields]
state = "NEW"
attachmentNames = "faktura č. 1.pdf, dodací list.pdf"
note = { matches = '^email přijatý od jana@dodavatel\\.cz \\(id \\d+ \\)$' }
attachments = { length = 2 }

[[test]]
name = "the same invoice signed with S/MIME and an inline logo makes the same document"
eml = "samples/invoice-signed.eml"
[test.expect]
created_count = 3

[[test]]
name = "an account of another purpose does nothing"
purpose = "GENERAL"
eml = "samples/invoice.eml"
expect = { nothing = true }

[[test]]
name = "an e-mail without attachments gives null and nothing"
eml = "samples/no-attachments.eml"
expect = { nothing = true, result_text = "null" }
"""

#: file name -> content of the sample e-mails (CRLF line ends, as on the wire)
SAMPLES: dict[str, bytes] = {
    "invoice.eml": INVOICE.replace("\n", "\r\n").encode("utf-8"),
    "invoice-signed.eml": INVOICE_SIGNED.replace("\n", "\r\n").encode("utf-8"),
    "no-attachments.eml": NO_ATTACHMENTS.replace("\n", "\r\n").encode("utf-8"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", help="the folder to set up (made when missing)")


def init_folder(folder: Path) -> list[str]:
    """Set up ``folder``; returns the lines to print. ``UsageError`` when it already has
    a mailwright.toml or is not a folder."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: exists and is not a folder")
    config_path = folder / "mailwright.toml"
    if config_path.exists():
        raise UsageError(f"{config_path}: already exists; nothing was changed")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []

    def write(name: str, data: str | bytes) -> None:
        path = folder / name
        if path.exists():
            return  # the user's own file stays
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        written.append(name)

    schema = resources.files("mailstore").joinpath("default_schema.toml").read_text("utf-8")
    write("schema.toml", schema)
    write("handler.jexl", HANDLER)
    write("handler.test.toml", HANDLER_TESTS)
    for name, data in SAMPLES.items():
        write(f"samples/{name}", data)
    write("mailwright.toml", CONFIG)
    config = load_config(config_path)
    key_existed = config.key_file is not None and config.key_file.exists()
    # environ={}: the file is made even when MAILWRIGHT_SECRET_KEY is set here
    load_secret_box(config.key_file, environ={})  # creates the key file, mode 0600
    if not key_existed:
        written.append("secret.key")
    Store.open(config, migrate=True).close()  # creates the tables and the states
    lines = [f"set up {folder}:"]
    lines += [f"  {name}" for name in written]
    lines.append(f"  {Path(config.database_url.removeprefix('sqlite:///')).name} (migrated)")
    lines.append("try:")
    lines.append(f"  cd {folder}")
    lines.append("  mailwright run handler.jexl --eml samples/invoice.eml --purpose INVOICES")
    lines.append("  mailwright test")
    return lines


def run(args: argparse.Namespace, console: Console) -> int:
    for line in init_folder(Path(args.dir)):
        console.print(line, markup=False)
    return 0
