"""The IMAP way in: a mailbox's unseen messages become intake rows, flagged only once stored.

Each unseen message is fetched without touching its flags (BODY.PEEK), stored by
``inbound_accept`` (which commits), processed, and only then flagged \\Seen (and moved to
XUALA_IMAP_PROCESSED_FOLDER when that is set). A crash before the flag means the next poll
fetches the message again; ``inbound_accept`` is idempotent on the Message-ID, so that
costs nothing. A message whose processing fails is flagged all the same: it is stored, and
the intake engine retries it from the database.

``imap_watch`` keeps one connection open and waits with IDLE when the server offers it
(new mail is taken in at once), else polls every XUALA_IMAP_POLL_SECONDS; either way it
looks at the mailbox at least that often, reconnects with back-off after errors, and stops
when its ``WatchStop`` is set (the command sets it on SIGTERM).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.db import close_old_connections, connections
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxTaggedResponseError
from imap_tools.utils import encode_folder

from xuala.env import ConfigError
from xuala.intake.services import UnusableMessage, inbound_accept, inbound_process

log = logging.getLogger("xuala.intake.imap")

# Seconds to wait for the server on any one command.
IMAP_TIMEOUT = 30
# Messages fetched per FETCH command.
FETCH_BATCH = 20
# RFC 2177: re-issue IDLE at least every 29 minutes.
MAX_IDLE_SECONDS = 29 * 60
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = False
    starttls: bool = False

    @classmethod
    def from_url(cls, url: str) -> ImapAccount:
        """imap://user:pass@host:port/INBOX, imaps://…, or imap://…?starttls=1."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ConfigError("XUALA_IMAP_URL must start with imap:// or imaps://")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("XUALA_IMAP_URL has an invalid port") from None
        if not parts.hostname or parts.username is None or parts.password is None:
            raise ConfigError("XUALA_IMAP_URL needs a user, a password and a host")
        starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
        ssl = parts.scheme == "imaps"
        if ssl and starttls:
            raise ConfigError("XUALA_IMAP_URL: imaps:// already uses TLS; drop starttls")
        return cls(
            host=parts.hostname, port=port or (993 if ssl else 143),
            user=unquote(parts.username), password=unquote(parts.password),
            folder=unquote(parts.path.lstrip("/")) or "INBOX", ssl=ssl, starttls=starttls,
        )

    def as_kwargs(self) -> dict:
        return {"host": self.host, "port": self.port, "user": self.user,
                "password": self.password, "folder": self.folder, "ssl": self.ssl,
                "starttls": self.starttls}


def imap_account_from_settings() -> ImapAccount:
    url = settings.XUALA_IMAP_URL
    if not url:
        raise ConfigError("XUALA_IMAP_URL is not set")
    return ImapAccount.from_url(url)


def imap_poll_once(*, host: str, port: int, user: str, password: str, folder: str = "INBOX",
                   ssl: bool = False, starttls: bool = False) -> int:
    """Take in the mailbox's unseen messages; returns how many were stored and flagged."""
    account = ImapAccount(host, port, user, password, folder, ssl, starttls)
    mailbox = _connect(account)
    try:
        return _take_in(mailbox)
    finally:
        _logout(mailbox)


class WatchStop:
    """Ends ``imap_watch`` from another thread or a signal handler, waking it from IDLE."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._closed = False

    def set(self) -> None:
        self._event.set()
        if not self._closed:
            with contextlib.suppress(BlockingIOError):  # already woken
                os.write(self._write, b"x")

    def is_set(self) -> bool:
        return self._event.is_set()

    def fileno(self) -> int:
        return self._read

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds unless stopped; returns whether stopped."""
        if not self.is_set():
            select.select([self], [], [], max(0.0, timeout))
        return self.is_set()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._read)
            os.close(self._write)


def imap_watch(*, host: str, port: int, user: str, password: str, folder: str = "INBOX",
               ssl: bool = False, starttls: bool = False, stop: WatchStop,
               poll_seconds: float | None = None) -> None:
    """Take in new mail as it arrives until ``stop`` is set."""
    account = ImapAccount(host, port, user, password, folder, ssl, starttls)
    if poll_seconds is None:
        poll_seconds = float(settings.XUALA_IMAP_POLL_SECONDS)
    backoff = 1.0
    log.info("watching %s@%s:%s/%s", user, host, port, folder)
    while not stop.is_set():
        mailbox = None
        failed = False
        try:
            close_old_connections()
            mailbox = _connect(account)
            can_idle = "IDLE" in _capabilities(mailbox)
            while not stop.is_set():
                _take_in(mailbox)
                backoff = 1.0
                close_old_connections()
                if _new_mail_announced(mailbox):
                    continue  # it arrived while we were busy: look again before waiting
                if can_idle:
                    _idle(mailbox, stop, min(poll_seconds, MAX_IDLE_SECONDS))
                else:
                    stop.wait(poll_seconds)
        except Exception:
            log.exception("IMAP intake failed; reconnecting in %.0f s", backoff)
            failed = True
        finally:
            if mailbox is not None:
                _logout(mailbox)
        if failed:
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
    connections.close_all()  # this thread's connections; the caller may be a worker thread
    log.info("stopped watching %s@%s:%s/%s", user, host, port, folder)


# --- Inside ------------------------------------------------------------------------------------


class _RawMailMessage(MailMessage):
    """imap-tools' message keeping the exact RFC 822 bytes of the FETCH."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0] or b""


def _connect(account: ImapAccount) -> BaseMailBox:
    if account.ssl:
        mailbox = MailBox(account.host, account.port, timeout=IMAP_TIMEOUT)
    elif account.starttls:
        mailbox = MailBoxStartTls(account.host, account.port, timeout=IMAP_TIMEOUT)
    else:
        mailbox = MailBoxUnencrypted(account.host, account.port, timeout=IMAP_TIMEOUT)
    mailbox.email_message_class = _RawMailMessage
    mailbox.login(account.user, account.password, initial_folder=account.folder)
    _refresh_capabilities(mailbox)
    processed = _processed_folder()
    if processed and not mailbox.folder.exists(processed):
        mailbox.folder.create(processed)
    return mailbox


def _logout(mailbox: BaseMailBox) -> None:
    try:
        mailbox.logout()
    except Exception:  # the connection may already be gone; nothing to keep
        log.debug("IMAP logout failed", exc_info=True)


def _processed_folder() -> str:
    return settings.XUALA_IMAP_PROCESSED_FOLDER


def _refresh_capabilities(mailbox: BaseMailBox) -> None:
    """Ask again after login: servers announce IDLE, MOVE… only to authenticated clients."""
    typ, data = mailbox.client.capability()
    if typ == "OK" and data and data[-1]:
        mailbox.client.capabilities = tuple(
            data[-1].decode("ascii", "replace").upper().split())


def _capabilities(mailbox: BaseMailBox) -> set[str]:
    return {str(c).upper() for c in mailbox.client.capabilities}


def _take_in(mailbox: BaseMailBox) -> int:
    """Store, process and flag every unseen message of the selected folder."""
    # A message someone marked \Deleted is on its way out of the mailbox; leave it be.
    uids = mailbox.uids("UNSEEN UNDELETED")
    if not uids:  # an empty uid_list would make fetch() take the whole folder
        return 0
    processed_folder = _processed_folder()
    taken = 0
    for mail in mailbox.fetch(uid_list=uids, mark_seen=False, bulk=FETCH_BATCH):
        if mail.uid is None or not mail.raw:
            continue  # expunged meanwhile
        try:
            message = inbound_accept(raw=mail.raw, path="imap")
        except UnusableMessage:
            log.warning("IMAP message %s is empty; flagging it without storing", mail.uid)
        else:
            try:
                inbound_process(message=message)
            except Exception:
                # Stored and committed: the intake engine retries it from the database.
                log.exception("inbound message %s failed to process; left for retry",
                              message.pk)
        _flag_done(mailbox, mail.uid, processed_folder)
        taken += 1
    return taken


def _flag_done(mailbox: BaseMailBox, uid: str, processed_folder: str) -> None:
    # Plain UID commands: imap-tools' flag() and move() expunge the whole folder, which would
    # also remove messages someone else marked \Deleted.
    client = mailbox.client
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"))
    if not processed_folder:
        return
    target = encode_folder(processed_folder)
    capabilities = _capabilities(mailbox)
    if "MOVE" in capabilities:
        _check(client.uid("MOVE", uid, target))
        return
    _check(client.uid("COPY", uid, target))
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"))
    if "UIDPLUS" in capabilities:
        _check(client.uid("EXPUNGE", uid))
    else:
        _check(client.expunge())


def _check(result: tuple) -> None:
    if result[0] != "OK":
        raise MailboxTaggedResponseError(result, "OK")


def _new_mail_announced(mailbox: BaseMailBox) -> bool:
    """Whether the server announced new messages (untagged EXISTS/RECENT) since last asked."""
    untagged = mailbox.client.untagged_responses
    announced = False
    for key in ("EXISTS", "RECENT"):
        if untagged.pop(key, None):
            announced = True
    return announced


def _idle(mailbox: BaseMailBox, stop: WatchStop, timeout: float) -> None:
    """Wait in IDLE until the server says something, ``stop`` is set, or ``timeout`` passes."""
    mailbox.idle.start()
    try:
        select.select([mailbox.client.sock, stop], [], [], timeout)
    finally:
        mailbox.idle.stop()
