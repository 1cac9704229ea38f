"""Typed readers for environment variables that fail loudly on bad values."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting read from the environment has a value that cannot be used."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser().resolve()


def env_header(name: str) -> tuple[str, str] | None:
    """Read ``Header-Name: value`` as Django's (``HTTP_HEADER_NAME``, value); unset: None."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    header, value = header.strip(), value.strip()
    if not sep or not value or not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise ConfigError(f"{name}={raw!r} is not 'Header-Name: value' "
                          "(e.g. 'X-Forwarded-Proto: https')")
    return "HTTP_" + header.upper().replace("-", "_"), value


def env_hostport(name: str, default: str) -> tuple[str, int]:
    """Read ``host:port`` (``[::1]:25`` for IPv6)."""
    raw = os.environ.get(name) or default
    return parse_hostport(raw, name=name)


def parse_hostport(raw: str, *, name: str = "address") -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name}={raw!r} is not host:port")
    return host.strip("[]"), int(port)


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (a bind that would fail)."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def secret_key(data_dir: Path) -> str:
    """Return XUALA_SECRET_KEY, or the key kept in the data dir (made on first use)."""
    from_env = os.environ.get("XUALA_SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ConfigError("XUALA_SECRET_KEY must be at least 32 characters")
        return from_env
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Create with owner-only permissions, atomically: a second process that races here
    # reads the winner's key instead of writing its own.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
