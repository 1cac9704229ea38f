"""The administrators the desk knows for each plan site (KnownAdmins).

A login is known when the first audit that read the site's database found it, when a
technician kept a finding about it ("a sound administrator"), until it is demoted. Every
audit sends the known logins to the node, whose scanner names any other administrator
(``admin-unknown``): an account an intruder created, or an old account raised to
administrator, which "registered recently" alone does not catch.

Why the first audit may set the list: a site joins the plan in the state it is in; an
administrator an intruder made before that is still named by the age check (``admin-recent``)
and by the technician reading the first report, and from then on no new one passes unseen.
"""

from __future__ import annotations

from datetime import datetime

from xuala.customers.models import Site
from xuala.wsa.models import Action, KnownAdmins

# Findings about an administrator account: demoted on approval, known when kept.
ADMIN_RULES = ("admin-unknown", "admin-recent")


def known_logins(site: Site) -> list[str] | None:
    """The site's known administrators; None before an audit has read its database."""
    row = KnownAdmins.objects.filter(site=site).first()
    return None if row is None else list(row.logins)


def admins_learn(*, site: Site, logins: list[str], at: datetime) -> bool:
    """The first audit that read the database sets the list; later audits do not change
    it (only a technician does). True when the list was set now."""
    _row, created = KnownAdmins.objects.get_or_create(
        site=site, defaults={"logins": sorted(set(logins)), "updated_at": at})
    return created


def _change(site: Site, at: datetime, logins) -> None:
    """The site's list becomes ``logins(old)``. Before an audit has read the database there
    is no list to change: the first one that does learns every administrator."""
    row = KnownAdmins.objects.filter(site=site).first()
    if row is not None and (new := sorted(logins(set(row.logins)))) != row.logins:
        row.logins, row.updated_at = new, at
        row.save(update_fields=["logins", "updated_at"])


def admin_keep(*, site: Site, login: str, at: datetime) -> None:
    """A technician (or the client) says ``login`` is a sound administrator of the site."""
    _change(site, at, lambda known: known | {login})


def admin_forget(*, site: Site, login: str, at: datetime) -> None:
    """``login`` is no administrator any more (demoted by the WSA)."""
    _change(site, at, lambda known: known - {login})


def admin_login(finding_path: str) -> str:
    """The login a database finding about an administrator names (``db:wp_users/LOGIN``)."""
    return finding_path.rsplit("/", 1)[1]


def asks_about_admin(finding) -> bool:
    """The finding names an administrator and still waits for someone to say whether it is
    sound (the client's question, a technician's approval)."""
    return finding.rule in ADMIN_RULES and finding.action == Action.PROPOSED
