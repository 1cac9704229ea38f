"""One site's update run, as the ``updates.run`` job asks for it (docs: the job contract in
``xuala.updates.node_jobs``).

Steps, each recorded in the run's journal before and after it is taken:

1. inventory (WordPress answering through ``php``, else the files);
2. the checks before: every key page's status, PHP errors and a screenshot;
3. the base snapshot of files and database, verified;
4. the components, plugins then themes then core, one at a time: a snapshot just before it
   (incremental), the new version put in place, its upgrade routines run, the pages checked
   and compared with the last good screenshots; on any new failure, files and database are
   rolled back to the snapshot taken just before it;
5. the checks after, compared with the checks before.

**PHP's OPcache.** The web server's PHP keeps compiled files and looks at their mtime at most
every ``opcache.revalidate_freq`` seconds (2 by default), so after new files are put in place
(or old ones put back) the checks wait ``XUALA_UPDATES_SETTLE_SECONDS`` (2.5); a host whose
OPcache never looks (``validate_timestamps=0``) names a command in ``XUALA_UPDATES_RELOAD``
(e.g. ``systemctl reload php8.2-fpm``), run instead of the wait.

**Killed half-way.** The job is run again with the same ``run``: a finished run returns its
stored result; otherwise the journal says where it stopped. A component found half-updated
is rolled back to its own snapshot and tried once more; stopped twice while updating it, it
is left rolled back (``rolled_back``, "the node stopped twice…"). A snapshot found half-taken
is taken again; a rollback found half-done is done again (a restore only touches what
differs, so doing it twice is harmless).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

from xuala.updates.agent import checks, database, files, install, screens, sources, wordpress
from xuala.updates.agent.journal import Busy, Journal, SiteState
from xuala.updates.agent.report import Report

RUN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NAMES = {"plugin": "plugin", "theme": "theme", "core": "core"}


class UpdateError(Exception):
    """The run cannot start (no WordPress there, no snapshot possible, source unreadable)."""


def _root(params: dict) -> Path:
    root = params.get("root")
    if not root or not os.path.isdir(root):
        raise UpdateError(f"the site's document root is not a directory here: {root!r}")
    root = Path(os.path.realpath(root))
    if not (root / "wp-includes" / "version.php").is_file():
        raise UpdateError(f"no WordPress at {root} (no wp-includes/version.php)")
    if not (root / "wp-config.php").is_file():
        raise UpdateError(f"no wp-config.php at {root}")
    return root


def run_site(params: dict, progress=None) -> dict:
    """Run (or resume) the update run ``params["run"]`` of the site at ``params["root"]``."""
    root = _root(params)
    run = str(params.get("run", ""))
    if not RUN_RE.match(run):
        raise UpdateError(f"not a run id: {run!r}")
    if not str(params.get("url", "")).startswith(("http://", "https://")):
        raise UpdateError(f"the site's address is not an http(s) URL: {params.get('url')!r}")
    state = SiteState(root)
    try:
        with state.locked():
            journal = Journal(state.run_folder(run))
            stored = journal.result()
            if stored is not None:
                return stored
            return Runner(root, params, state, journal, progress or (lambda _p: None)).go()
    except Busy as error:
        raise UpdateError(str(error)) from error


class Runner:
    def __init__(self, root: Path, params: dict, state: SiteState, journal: Journal, progress):
        self.root, self.params, self.state, self.journal = root, params, state, journal
        self.progress = progress
        self.run = str(params["run"])
        self.url = params["url"]
        self.folder = journal.folder
        self.pictures = self.folder / "pages"
        self.pictures.mkdir(exist_ok=True)
        threshold = params.get("visual_threshold")
        self.threshold = 0.02 if threshold is None else float(threshold)
        self.held = {(h.get("type"), h.get("slug"), str(h.get("version")))
                     for h in params.get("held") or [] if isinstance(h, dict)}
        self.report = Report(journal, self.pictures, self.threshold)
        self.changed_at: float | None = None

    # -- the run ---------------------------------------------------------------------

    def go(self) -> dict:
        with screens.Camera() as self.camera:
            return self._go()

    def _go(self) -> dict:
        j = self.journal
        if j["attempts"] > 1:
            j.log(f"resumed (attempt {j['attempts']})")
        if j["inventory"] is None:
            self.step("inventory")
            try:
                inventory = wordpress.inventory(self.root, self.url)
            except wordpress.WordPressError as error:
                raise UpdateError(str(error)) from error
            if inventory["source"] == "files":
                j.log(f"WordPress did not answer the inventory ({inventory.get('error')}); "
                      "read from the files")
            j["inventory"] = inventory
        if j["pages"] is None:
            j["pages"] = self.pages()
            if not screens.browser():
                j.log("no Chromium on this node: pages checked without screenshots")
        if j["before"] is None:
            self.step("checks before")
            j["before"] = self.check("before", capture=True)
            j["reference"] = {c["page"]: c.get("png_path") for c in j["before"]}
        if j["components"] is None:
            self.step("looking for new versions")
            j["components"] = self.plan()
        if j["snapshot"] is None:
            self.step("snapshot")
            j["had_upgrade_dir"] = (self.root / "wp-content" / "upgrade").exists()
            j["snapshot"] = self.base_snapshot()
            j["last"] = "base"
        total = len(j["components"])
        for number, item in enumerate(j["components"], start=1):
            if item["phase"] != "done":
                self.component(number, item, total)
        self.step("checks after", done=total, total=total)
        self._settle()
        after = self.check("after", capture=True,
                           reference={c["page"]: c.get("png_path") for c in j["before"]})
        result = self.report.result(self.run, after, self.area)
        j.finish(result)
        for label in {c.get("label") for c in j["components"]} - {None}:
            shutil.rmtree(self.area / label, ignore_errors=True)
        shutil.rmtree(self.folder / "downloads", ignore_errors=True)
        if not j["had_upgrade_dir"]:
            with contextlib.suppress(OSError):  # only when empty: it is WordPress's folder too
                (self.root / "wp-content" / "upgrade").rmdir()
        for line in self.state.prune(int(self.params.get("keep_snapshots") or 2)):
            j.log(f"deleted {line}")
        return result

    def step(self, text: str, done: int = 0, total: int = 0) -> None:
        self.progress({"step": text, "done": done, "total": total})

    @property
    def area(self) -> Path:
        if self.journal["area"] is None:
            self.journal["area"] = str(self.state.snapshot_area(self.run))
        return Path(self.journal["area"])

    def pages(self) -> list[str]:
        pages = self.params.get("pages")
        if pages:
            return [str(p) for p in pages]
        chosen = ["/", "/wp-login.php"]
        shop = self.journal["inventory"].get("shop")
        home = self.journal["inventory"].get("home") or ""
        if shop and home and shop.startswith(home):  # WooCommerce's shop page, if any
            chosen.append("/" + shop[len(home):])
        elif shop:
            parts = urllib.parse.urlsplit(shop)
            chosen.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return chosen

    def plan(self) -> list[dict]:
        inventory = self.journal["inventory"]
        try:
            source = sources.for_setting(self.params.get("source")
                                         or os.environ.get("XUALA_UPDATE_SOURCE"))
            offers = source.offers(inventory)
        except sources.SourceError as error:
            raise UpdateError(f"the update source cannot be read: {error}") from error
        self.journal.log(f"source: {source.name}; {len(offers)} new version(s)")
        items = []
        for plugin in inventory["plugins"]:
            items.append(self._item("plugin", plugin["slug"], plugin, offers))
        for theme in inventory["themes"]:
            items.append(self._item("theme", theme["slug"], theme, offers))
        core = inventory["core"]
        items.append(self._item("core", "wordpress", {"name": "WordPress", "active": True,
                                                      "version": core["version"]}, offers))
        return items

    @staticmethod
    def _item(kind: str, slug: str, found: dict, offers: dict) -> dict:
        offer = offers.get((kind, slug))
        return {"type": kind, "slug": slug, "name": found.get("name") or slug,
                "file": found.get("file", ""), "from": found.get("version") or "",
                "to": offer.version if offer else found.get("version") or "",
                "active": bool(found.get("active")), "single_file": found.get("single_file"),
                "offer": offer.as_dict() if offer else None, "status": "unchanged",
                "reason": "", "checks": [], "phase": "pending", "tries": 0}

    def base_snapshot(self) -> dict:
        started = time.monotonic()
        shutil.rmtree(self.area / "base", ignore_errors=True)
        earlier = self._previous_area()
        try:
            hints = files.hash_hints(files.load(earlier, "base")) if earlier else {}
            tables = database.load(earlier, "base") if earlier else None
        except (files.SnapshotError, database.DatabaseSnapshotError):
            earlier, hints, tables = None, {}, None
        try:
            manifest, figures = files.take(self.root, self.area, "base", hints=hints)
            bad = files.verify(self.area, manifest)
            if bad:
                raise UpdateError(f"the snapshot cannot be verified: {bad[0]} differs")
            _tables, db_figures = database.snapshot(wordpress.config(self.root), self.area,
                                                   "base", previous=tables,
                                                   previous_area=earlier)
        except (files.SnapshotError, database.DatabaseSnapshotError, OSError) as error:
            raise UpdateError(f"the snapshot cannot be made: {error}") from error
        except wordpress.WordPressError as error:
            raise UpdateError(f"the database cannot be read: {error}") from error
        seconds = round(time.monotonic() - started, 2)
        snapshot = {"path": str(self.area), "files": figures["files"], "bytes": figures["bytes"],
                    "stored_bytes": figures["stored_bytes"] + db_figures["dump_bytes"],
                    "linked": figures["linked"], "copied": figures["copied"],
                    "tables": db_figures["tables"], "dumped_tables": db_figures["dumped"],
                    "seconds": seconds}
        self.journal.log(f"snapshot: {figures['files']} files ({figures['linked']} linked, "
                         f"{figures['copied']} copied), {db_figures['tables']} tables "
                         f"in {seconds} s")
        return snapshot

    def _previous_area(self) -> Path | None:
        """The newest earlier run's snapshot: its hashes and unchanged tables' dumps are
        reused, so the weekly snapshot of a quiet site reads and dumps little."""
        found = [manifest for base in self.state.snapshot_bases()
                 for manifest in base.glob("*/base/db.json")
                 if manifest.parent.parent.name != self.run]
        return max(found, key=os.path.getmtime).parent.parent if found else None

    # -- one component ---------------------------------------------------------------

    def component(self, number: int, item: dict, total: int) -> None:
        j = self.journal
        label = f"c{number:03d}"
        title = f"{NAMES[item['type']]} {item['slug']}"
        offer = item["offer"]
        if offer is None or item.get("single_file"):
            if item.get("single_file") and offer:
                item["reason"] = "a single-file plugin: update it by hand"
            return self._finish(item, "unchanged")
        item["label"] = label
        if item["phase"] == "rolling_back":
            return self._roll_back(item, label, item["reason"])
        key = (item["type"], item["slug"], offer["version"])
        if item["phase"] == "pending" and key in self.held:
            return self._finish(item, "held_back",
                                f"held: {offer['version']} failed in an earlier run")
        php = (j["inventory"]["core"].get("php") or "")
        needs = offer.get("requires_php")
        if item["phase"] == "pending" and needs and php and sources.compare(php, needs) < 0:
            return self._finish(item, "held_back", f"needs PHP {offer['requires_php']} "
                                                   f"(this server runs {php})")
        if item["phase"] == "pending" and j["stopped"]:
            return self._finish(item, "unchanged", f"not tried: the run stopped after "
                                                   f"{j['stopped']} failed")
        self.step(f"{title} {item['from']} -> {offer['version']}", number - 1, total)
        if item["phase"] in ("applying", "checking"):
            item["tries"] += 1
            j.log(f"{title}: the node stopped while updating it; rolling it back")
            if item["tries"] >= 2:
                return self._roll_back(item, label, "the node stopped twice while updating it")
            self._restore(item, label)
            item["phase"] = "snapshotted"
        if item["phase"] in ("pending", "snapshotting"):
            item.setdefault("previous", j["last"])  # kept: a retry must build on the same one
            self._set(item, "snapshotting")
            try:
                self._snapshot(label, item["previous"])
            except UpdateError as error:  # nothing changed yet; no safe way on from here
                j["stopped"] = f"the snapshot before {title}"
                j["trouble"] = str(error)
                return self._finish(item, "unchanged", f"not tried: {error}")
            self._set(item, "snapshotted")
        self._set(item, "applying")
        stage = install.staging(self.root, f"{self.run}-{label}")
        try:
            archive = sources.for_setting(self.params.get("source")
                                          or os.environ.get("XUALA_UPDATE_SOURCE")).fetch(
                sources.Offer(**offer), self.folder / "downloads")
        except sources.SourceError as error:
            shutil.rmtree(stage, ignore_errors=True)
            item["phase"] = "done"
            return self._finish(item, "unchanged", f"could not fetch {offer['version']}: {error}")
        try:
            if item["type"] == "core":
                install.maintenance(self.root, True)
                item["to"] = install.put_core(self.root, archive, stage)["version"]
            else:
                item["to"] = install.put_component(self.root, item["type"], item["slug"],
                                                   archive, stage, item.get("file", ""))
        except (install.InstallError, OSError) as error:
            return self._roll_back(item, label, f"could not install {offer['version']}: {error}")
        shutil.rmtree(stage, ignore_errors=True)
        self.changed_at = time.monotonic()
        self._set(item, "checking")
        failure = self._upgrade(item)
        if item["type"] == "core":
            install.maintenance(self.root, False)
        self._settle()
        found = self.check(label, capture=item["active"], reference=j["reference"])
        item["checks"] = found
        failure = failure or self.report.failure(found)
        if failure:
            return self._roll_back(item, label, failure)
        for check in found:
            if check.get("png_path"):
                j["reference"][check["page"]] = check["png_path"]
        j.log(f"{title}: {item['from']} -> {item['to']} updated")
        self._finish(item, "updated")

    def _set(self, item: dict, phase: str) -> None:
        item["phase"] = phase
        self.journal.save()

    def _finish(self, item: dict, status: str, reason: str = "") -> None:
        item["status"], item["phase"] = status, "done"
        if reason:
            item["reason"] = reason
        if status == "unchanged" or not item["offer"]:
            item["to"] = item["from"]
        elif status != "updated":
            item["to"] = item["offer"]["version"]
        if status in ("held_back", "rolled_back") or reason:
            self.journal.log(f"{NAMES[item['type']]} {item['slug']}: {status.replace('_', ' ')}"
                             + (f": {reason}" if reason else ""))
        self.journal.save()

    def _upgrade(self, item: dict) -> str:
        try:
            answer = wordpress.upgrade(self.root, self.url, item["type"],
                                       item.get("file") or item["slug"])
        except wordpress.WordPressError as error:
            return f"its upgrade routines did not run: {error}"
        if answer.get("fatal"):
            return f"fatal error in its upgrade routines: {answer['fatal']}"
        return ""

    def _snapshot(self, label: str, last: str) -> None:
        shutil.rmtree(self.area / label, ignore_errors=True)
        try:
            manifest, _ = files.take(self.root, self.area, label,
                                     previous=files.load(self.area, last))
            bad = files.verify(self.area, manifest, [rel for rel, entry in manifest.items()
                                                     if entry[0] == "f" and entry[6] == label])
            if bad:
                raise UpdateError(f"the snapshot before {label} cannot be verified: {bad[0]}")
            database.snapshot(wordpress.config(self.root), self.area, label,
                              previous=database.load(self.area, last))
        except (files.SnapshotError, database.DatabaseSnapshotError, OSError,
                wordpress.WordPressError) as error:
            raise UpdateError(f"the snapshot cannot be made: {error}") from error
        self.journal["last"] = label

    def _restore(self, item: dict, label: str) -> list[str]:
        """Files and database back to the snapshot ``label``; what could not be put back."""
        install.maintenance(self.root, False)
        problems = []
        try:
            tree = files.restore(self.root, self.area, files.load(self.area, label))
            problems += [f"file {p} changed in place" for p in tree["unrestorable"]]
            tables = database.restore(wordpress.config(self.root), self.area,
                                      database.load(self.area, label))
            problems += tables["problems"]
        except (files.SnapshotError, database.DatabaseSnapshotError, OSError,
                wordpress.WordPressError) as error:
            problems.append(str(error))
        shutil.rmtree(self.root / "wp-content" / "upgrade" / f"xuala-{self.run}-{label}",
                      ignore_errors=True)
        item["rollback_problems"] = problems
        self.changed_at = time.monotonic()
        return problems

    def _settle(self) -> None:
        """Let the web server's PHP see the files that changed (see the module's notes)."""
        if self.changed_at is None:
            return
        command = os.environ.get("XUALA_UPDATES_RELOAD", "").strip()
        if command:
            try:
                subprocess.run(shlex.split(command), capture_output=True, timeout=120,
                               check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                self.journal.log(f"the reload command failed: {error}")
        else:
            wait = float(os.environ.get("XUALA_UPDATES_SETTLE_SECONDS", "2.5"))
            time.sleep(max(0.0, self.changed_at + wait - time.monotonic()))
        self.changed_at = None

    def _roll_back(self, item: dict, label: str, reason: str) -> None:
        title = f"{NAMES[item['type']]} {item['slug']}"
        item["reason"] = reason
        self._set(item, "rolling_back")
        problems = self._restore(item, label)
        if problems:
            item["reason"] = f"{reason}; the way back is incomplete: {'; '.join(problems[:5])}"
            self.journal["incomplete"] = True
        if self.params.get("on_failure") == "stop":
            self.journal["stopped"] = title
        self._finish(item, "rolled_back", item["reason"])

    # -- checks ----------------------------------------------------------------------

    def check(self, prefix: str, capture: bool, reference: dict | None = None) -> list[dict]:
        pages = self.journal["pages"]
        keywords = self.params.get("keywords") if isinstance(self.params.get("keywords"),
                                                             dict) else None
        found = checks.check_pages(self.url, pages, self.root, keywords)
        shots: dict[str, Path | None] = {}
        if capture:
            for number, page in enumerate(pages):
                out = self.pictures / f"{prefix}-{number}.png"
                taken = self.camera.shoot(checks.page_url(self.url, page), out)
                shots[page] = out if taken else None
        before = {c["page"]: c for c in self.journal["before"] or []}
        return [self.report.page(check, before.get(check.page), shots.get(check.page),
                                 (reference or {}).get(check.page), prefix)
                for check in found]
