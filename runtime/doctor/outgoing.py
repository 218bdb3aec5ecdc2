"""The SMTP check: the central server answers connect, EHLO, STARTTLS, AUTH and QUIT (no
message is sent)."""

from __future__ import annotations

from mailstore import models as m
from mailstore.config import Config
from mailstore.oauth import OAuthError
from mailstore.secrets import SecretKeyError
from mailstore.smtp import probe

from ..settings import SettingsError
from ..smtpaccounts import central_server
from .report import CheckResult, State, fail, ok, skip, warn

# --- SMTP ----------------------------------------------------------------------------


#: what to look at when a probe step fails, by step name
_SMTP_FIXES = {
    "connect": "check the host and port of the SMTP server, and that it is running",
    "EHLO": "check the server: it refused the greeting",
    "STARTTLS": "the server must offer STARTTLS with a certificate this machine trusts: "
    "enable STARTTLS on the server, give the CA with --ca-file, or use --security ssl "
    "for an implicit-TLS port",
    "AUTH": "check the SMTP login (user name and password, or the OAuth2 credential)",
    "QUIT": "check the server's log",
}


def smtp_configured(config: Config | None) -> bool:
    """True when a central SMTP server is meant to exist: an enabled SMTP account or the legacy file."""
    enabled = m.SmtpAccount.enabled == True  # noqa: E712 - peewee builds SQL from ==
    accounts = m.SmtpAccount.select().where(enabled).count()
    return bool(accounts) or (config is not None and config.smtp_properties is not None)


def check_smtp(state: State) -> list[CheckResult]:
    """The central SMTP server answers connect, EHLO, STARTTLS, AUTH and QUIT."""
    store = state.store
    if store is None:
        return [skip("SMTP server", "needs the database")]
    if not smtp_configured(state.config):
        return [
            warn(
                "SMTP server",
                "no central SMTP server: handlers cannot send mail",
                "`mailwright smtp add NAME --host HOST --from ADDRESS --default`, or name the "
                "legacy file with [mail] smtpProperties in mailwright.toml",
            )
        ]
    default = m.SmtpAccount.get_or_none(m.SmtpAccount.isDefault == True)  # noqa: E712
    if default is not None and default.credential is not None and not state.key_ok:
        return [skip("SMTP server", state.key_problem)]
    assert state.config is not None  # the store was opened from it
    try:
        central = central_server(store, state.config)
    except (SettingsError, SecretKeyError, OAuthError) as err:
        return [fail("SMTP server", str(err), "correct the SMTP settings named")]
    settings = central.settings
    results = [
        warn("SMTP server", text, "correct what the warning names") for text in central.warnings
    ]
    where = f"{settings.source}: {settings.address}"
    try:
        steps = probe(settings, timeout=state.timeout)
    except OAuthError as err:
        return [*results, fail("SMTP server", f"{where}: no token: {err.detail}", err.setting)]
    failed = next((step for step in steps if not step.ok), None)
    if failed is not None or not steps:
        name = failed.name if failed is not None else "connect"
        detail = failed.detail if failed is not None else "no answer"
        fix = _SMTP_FIXES.get(name, "check the SMTP settings")
        return [*results, fail("SMTP server", f"{where}: {name} failed: {detail}", fix)]
    done = ", ".join(step.name for step in steps)
    return [*results, ok("SMTP server", f"{where}: {done} worked; no message was sent")]
