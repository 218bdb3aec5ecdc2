"""The legacy Java .properties file, read from real files as java.util.Properties reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailstore.legacyprops import LegacyPropsError, read_smtp_properties


def props(tmp_path: Path, text: str | bytes, *, mode: int = 0o600) -> Path:
    path = tmp_path / "mail.properties"
    path.write_bytes(text.encode("iso-8859-1") if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def test_a_typical_starttls_file(tmp_path: Path) -> None:
    path = props(
        tmp_path,
        "# the original product's SMTP\n"
        "mail.protocol=smtp\n"
        "mail.host=smtp.example.cz\n"
        "mail.port=587\n"
        "mail.smtp.auth=true\n"
        "mail.smtp.starttls.enable=true\n"
        "mail.from=Podatelna <podatelna@example.cz>\n"
        "mail.username=podatelna@example.cz\n"
        "mail.password=tajne heslo \n",
    )
    legacy = read_smtp_properties(path)
    s = legacy.settings
    assert (s.host, s.port, s.security, s.auth) == ("smtp.example.cz", 587, "starttls", True)
    assert s.username == "podatelna@example.cz"
    assert s.password == "tajne heslo "  # Java keeps trailing spaces of a value
    assert s.from_address == "Podatelna <podatelna@example.cz>"
    assert s.source == str(path) and s.smtp_account_id is None
    assert legacy.warnings == []


def test_java_syntax_comments_escapes_continuations_separators(tmp_path: Path) -> None:
    path = props(
        tmp_path,
        "! a comment with '!'\n"
        "   # an indented comment\n"
        "mail.host : smtp.\\\n"
        "            example.cz\n"
        "mail.protocol smtps\n"
        "mail.from=Podateln\\u00e1 <podatelna@example.cz>\n"
        "mail.smtp.auth=TRUE\n"
        "mail.username=user\n"
        "mail.password=p\\=w\\:d\\\\x\n"
        "mail.host=smtp.example.cz\n",  # the last of two equal keys wins
    )
    s = read_smtp_properties(path).settings
    assert s.host == "smtp.example.cz"
    assert (s.security, s.port) == ("ssl", 465)
    assert s.from_address == "Podatelná <podatelna@example.cz>"
    assert s.password == "p=w:d\\x"


def test_latin1_bytes_are_read_as_java_reads_them(tmp_path: Path) -> None:
    path = props(tmp_path, b"mail.host=h.example.cz\nmail.from=Podateln\xe1 <a@example.cz>\n")
    assert read_smtp_properties(path).settings.from_address == "Podatelná <a@example.cz>"


@pytest.mark.parametrize(
    ("lines", "security", "port", "auth"),
    [
        ("mail.protocol=smtp\n", "none", 25, False),  # JavaMail's defaults: plain, no login
        ("mail.smtp.starttls.enable=true\n", "starttls", 587, False),
        ("mail.protocol=smtps\n", "ssl", 465, False),
        ("mail.protocol=smtps\nmail.port=2465\n", "ssl", 2465, False),
    ],
)
def test_defaults_follow_javamail(
    tmp_path: Path, lines: str, security: str, port: int, auth: bool
) -> None:
    s = read_smtp_properties(props(tmp_path, "mail.host=h.example.cz\n" + lines)).settings
    assert (s.security, s.port, s.auth) == (security, port, auth)


def test_a_relay_without_auth_ignores_the_password_and_says_so(tmp_path: Path) -> None:
    path = props(
        tmp_path,
        "mail.host=relay.example.cz\nmail.smtp.auth=false\nmail.smtp.starttls.enable=true\n"
        "mail.username=u\nmail.password=p\n",
    )
    legacy = read_smtp_properties(path)
    assert not legacy.settings.auth and legacy.settings.password is None
    assert any("no login is made" in w for w in legacy.warnings)


def test_unknown_keys_are_warned_with_the_closest_known_key(tmp_path: Path) -> None:
    path = props(
        tmp_path,
        "mail.host=h.example.cz\nmail.smtp.starttls.enabled=true\nmail.hots=x\nfoo.bar=1\n",
    )
    warnings = read_smtp_properties(path).warnings
    assert any(
        "'mail.smtp.starttls.enabled'" in w and "did you mean 'mail.smtp.starttls.enable'" in w
        for w in warnings
    )
    assert any("'mail.hots'" in w and "'mail.host'" in w for w in warnings)
    assert any("'foo.bar'" in w and "did you mean" not in w for w in warnings)


def test_javamail_names_suggest_the_key_this_file_uses(tmp_path: Path) -> None:
    # a file written for JavaMail names the port mail.smtp.port: nearest in spelling to
    # mail.smtp.auth, but it means mail.port
    path = props(
        tmp_path,
        "mail.host=h.example.cz\nmail.smtp.port=587\nmail.smtp.user=u\nmail.smtp.hots=x\n",
    )
    warnings = read_smtp_properties(path).warnings
    assert any("'mail.smtp.port'" in w and "did you mean 'mail.port'" in w for w in warnings)
    assert any("'mail.smtp.user'" in w and "did you mean 'mail.username'" in w for w in warnings)
    assert any("'mail.smtp.hots'" in w and "did you mean 'mail.host'" in w for w in warnings)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("mail.host=h.example.cz\nmail.port=587x\n", "mail.port", "not a port number"),
        ("mail.host=h.example.cz\nmail.port=70000\n", "mail.port", "not a port number"),
        ("mail.host=h.example.cz\nmail.protocol=imap\n", "mail.protocol", "neither smtp"),
        ("mail.host=h.example.cz\nmail.smtp.auth=yes\n", "mail.smtp.auth", "true or false"),
        (
            "mail.host=h.example.cz\nmail.smtp.starttls.enable=ano\n",
            "mail.smtp.starttls.enable",
            "true or false",
        ),
        ("mail.port=25\n", "mail.host", "missing"),
        ("mail.host=h.example.cz\nmail.from=podatelna\n", "mail.from", "not an e-mail"),
        ("mail.host=h.example.cz\nmail.smtp.auth=true\n", "mail.username", "missing"),
        (
            "mail.host=h.example.cz\nmail.smtp.auth=true\nmail.username=u\n",
            "mail.password",
            "missing",
        ),
    ],
)
def test_bad_values_name_the_key_and_the_file(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    path = props(tmp_path, text)
    with pytest.raises(LegacyPropsError) as bad:
        read_smtp_properties(path)
    message = str(bad.value)
    assert message.startswith(f"{path}: {key}: ") and fragment in message


def test_a_file_readable_by_others_is_warned_about(tmp_path: Path) -> None:
    text = "mail.host=h.example.cz\nmail.password=p\n"
    assert not any(
        "by other users" in w for w in read_smtp_properties(props(tmp_path, text)).warnings
    )
    for mode in (0o640, 0o604):
        warnings = read_smtp_properties(props(tmp_path, text, mode=mode)).warnings
        assert any("readable by other users" in w and "chmod 600" in w for w in warnings)


def test_a_password_over_an_unencrypted_connection_is_warned_about(tmp_path: Path) -> None:
    path = props(
        tmp_path, "mail.host=h.example.cz\nmail.smtp.auth=true\nmail.username=u\nmail.password=p\n"
    )
    assert any("clear text" in w for w in read_smtp_properties(path).warnings)


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(LegacyPropsError) as missing:
        read_smtp_properties(tmp_path / "nope.properties")
    assert "nope.properties" in str(missing.value) and "smtpProperties" in str(missing.value)
