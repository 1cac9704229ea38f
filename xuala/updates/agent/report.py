"""The run's report: each page check compared with the one before, the reasons a component
fails, and the result the desk stores (shape: the job contract in ``node_jobs``).

Pictures travel as base64 PNG at most 800 px wide: every page before and after the run, and
the diff image of every page a component marked. A result is kept under ``MAX_IMAGES``
bytes of pictures (the desk refuses large requests): past it, the pictures of the run's
after and then before checks are left out (they stay on the node), never the evidence of a
failure.
"""

from __future__ import annotations

from pathlib import Path

from xuala.updates.agent import screens
from xuala.updates.agent.checks import PageCheck, new_failures
from xuala.updates.agent.journal import Journal

MAX_IMAGES = 3_500_000


def _reason(page: str, problem: str) -> str:
    head, _, tail = problem.partition(": ")
    return f"{head} on {page}" + (f": {tail}" if tail else "")


class Report:
    def __init__(self, journal: Journal, pictures: Path, threshold: float):
        self.journal = journal
        self.pictures = pictures
        self.threshold = threshold

    def page(self, check: PageCheck, before: dict | None, shot: Path | None,
             reference: str | None, prefix: str) -> dict:
        """One page's check as the journal keeps it, with the visual comparison."""
        found = check.as_dict()
        found["png_path"] = str(shot) if shot else None
        found["diff_path"] = None
        if shot and reference and Path(reference).is_file():
            diff_out = self.pictures / f"{shot.stem}-diff.png"
            share = screens.compare(Path(reference), shot, diff_out)
            found["diff"] = round(share, 4)
            found["diff_path"] = str(diff_out) if diff_out.is_file() else None
            if share > self.threshold:
                found["problems"].append(f"visual change {share:.1%}")
                found["ok"] = False
        earlier = PageCheck(before["page"], before["status"], before["ok"],
                            before["problems"]) if before else None
        found["new"] = new_failures(earlier, PageCheck(found["page"], found["status"],
                                                       found["ok"], found["problems"]))
        return found

    @staticmethod
    def failure(found: list[dict]) -> str:
        """Why a component fails its checks ("" when it does not)."""
        reasons = [_reason(check["page"], problem) for check in found
                   for problem in check["new"]]
        return "; ".join(reasons[:3])

    def _component(self, item: dict) -> dict:
        marked = []
        for check in item.get("checks") or []:
            bad = check.get("diff") is not None and check["diff"] > self.threshold
            picture = screens.png_b64(Path(check["diff_path"]), scale=False) \
                if bad and check.get("diff_path") else None
            marked.append({"page": check["page"], "status": check["status"], "ok": check["ok"],
                           "problems": check["problems"], "diff": check.get("diff"),
                           "diff_png": picture})
        return {"type": item["type"], "slug": item["slug"], "name": item["name"],
                "from": item["from"], "to": item["to"], "active": item["active"],
                "status": item["status"], "reason": item["reason"], "checks": marked}

    @staticmethod
    def _pages(found: list[dict], with_diff: bool) -> list[dict]:
        out = []
        for check in found:
            entry = {"page": check["page"], "status": check["status"], "ok": check["ok"],
                     "problems": check["problems"],
                     "png": screens.png_b64(Path(check["png_path"]))
                     if check.get("png_path") else None}
            if with_diff:
                entry["diff"] = check.get("diff")
            out.append(entry)
        return out

    def result(self, run: str, after: list[dict], area: Path) -> dict:
        j = self.journal
        items = j["components"]
        components = [self._component(item) for item in items]
        before = self._pages(j["before"], with_diff=False)
        after_pages = self._pages(after, with_diff=True)
        log = list(j["log"] or [])
        size = sum(len(c.get("diff_png") or "") for item in components for c in item["checks"])
        for group in (before, after_pages):
            size += sum(len(p["png"] or "") for p in group)
        for group, name in ((after_pages, "after"), (before, "before")):
            if size > MAX_IMAGES:
                size -= sum(len(p["png"] or "") for p in group)
                for page in group:
                    page["png"] = None
                log.append(f"the {name} screenshots stay on the node ({area.parent.parent})")
        core = next(item for item in items if item["type"] == "core")
        rolled = [c for c in components if c["status"] == "rolled_back"]
        ok = (not rolled and all(p["ok"] for p in after_pages) and not j["incomplete"]
              and not j["trouble"])
        summary = (f"{sum(c['status'] == 'updated' for c in components)} updated, "
                   f"{len(rolled)} rolled back, "
                   f"{sum(c['status'] == 'held_back' for c in components)} held back")
        return {"run": int(run) if run.isdigit() else run, "ok": ok,
                "core": {"from": core["from"],
                         "to": core["to"] if core["status"] == "updated" else core["from"]},
                "components": components, "before": before, "after": after_pages,
                "snapshot": j["snapshot"], "log": [*log, summary]}
