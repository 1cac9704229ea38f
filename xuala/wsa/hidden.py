"""Hidden files: dotfiles and dot-directories, names that imitate core files, names that are
not UTF-8, and files changed recently outside the places where sites change."""

from __future__ import annotations

import time

from xuala.wsa.findings import Finding, display_path
from xuala.wsa.integrity import PHP_SUFFIXES

# Dotfiles a WordPress site carries for ordinary reasons.
KNOWN_DOTFILES = {
    ".htaccess", ".user.ini", ".maintenance", ".gitignore", ".gitattributes", ".editorconfig",
    ".distignore", ".gitkeep", ".keep", ".htpasswd", ".jshintrc", ".eslintrc", ".babelrc",
    ".browserslistrc", ".npmignore", ".stylelintrc", ".prettierrc", ".nvmrc", ".DS_Store",
}
KNOWN_DOTDIRS = {".well-known"}
CORE_ROOT_NAMES = {
    "index.php", "wp-activate.php", "wp-blog-header.php", "wp-comments-post.php",
    "wp-config.php", "wp-config-sample.php", "wp-cron.php", "wp-links-opml.php", "wp-load.php",
    "wp-login.php", "wp-mail.php", "wp-settings.php", "wp-signup.php", "wp-trackback.php",
    "xmlrpc.php",
}
# Where a live site changes every day: changes there are not news.
USUAL_CHANGES = ("wp-content/uploads/", "wp-content/cache/", "wp-content/upgrade/",
                 "wp-content/plugins/", "wp-content/themes/", "wp-content/languages/",
                 "wp-content/wflogs/", "wp-content/backup")
CORE_PLACES = ("wp-admin/", "wp-includes/")
# What is watched for recent changes: what runs or steers the server.
WATCHED_CHANGES = (*PHP_SUFFIXES, ".js", ".htaccess", ".user.ini", ".ini", ".cgi", ".pl", ".py",
                   ".sh")
RECENT_DAYS = 7
LOOKALIKE = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "_": "-"})


def _distance(a: str, b: str, limit: int = 2) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class Hidden:
    def __init__(self, *, is_wordpress: bool, core_names: set[str], now: float | None = None,
                 recent_days: int = RECENT_DAYS):
        self.is_wordpress = is_wordpress
        self.names = sorted(CORE_ROOT_NAMES | {n.lower() for n in core_names
                                               if n.lower().endswith(".php")})
        self.name_set = set(self.names)
        self.know_core = bool(core_names)
        self.now = time.time() if now is None else now
        self.recent = recent_days * 86400

    def check(self, rel: str, st, *, utf8: bool, core: bool = False) -> list[Finding]:
        """`core`: the path is a core file whose content matches the release's checksum."""
        shown = display_path(rel)
        found = []
        parts = rel.split("/")
        name = parts[-1]
        php = name.lower().endswith(PHP_SUFFIXES)
        if not utf8:
            found.append(Finding(shown, "hidden", "name-not-utf8", "medium",
                                 "file name is not valid UTF-8"))
        dot_dirs = [p for p in parts[:-1] if p.startswith(".") and p not in KNOWN_DOTDIRS]
        if name.startswith(".") and name not in KNOWN_DOTFILES:
            found.append(Finding(shown, "hidden", "dotfile-php" if php else "dotfile",
                                 "high" if php else "low", "hidden file"))
        elif dot_dirs:
            found.append(Finding(shown, "hidden", "php-in-dot-directory" if php else
                                 "in-dot-directory", "high" if php else "low",
                                 f"inside hidden directory {dot_dirs[0]}"))
        if php and self.is_wordpress and not core and name.lower() not in self.name_set:
            # Core directories only when the release's names are known (checksums).
            in_core = len(parts) == 1 or rel.startswith("wp-content/uploads/") or (
                self.know_core and rel.startswith(CORE_PLACES))
            if in_core:
                twin = self._imitates(name.lower())
                if twin:
                    found.append(Finding(shown, "hidden", "imitates-core-name", "high",
                                         f"name imitates core file {twin}"))
        if self.is_wordpress and not core and name.lower().endswith(WATCHED_CHANGES) and \
                not rel.startswith(USUAL_CHANGES):
            changed = max(st.st_mtime, st.st_ctime)
            if 0 <= self.now - changed <= self.recent:
                found.append(Finding(shown, "hidden", "recently-changed", "medium",
                                     f"changed in the last {self.recent // 86400} days "
                                     "outside the usual places"))
        return found

    def _imitates(self, name: str) -> str | None:
        plain = name.translate(LOOKALIKE)
        for core in self.names:
            if plain == core or _distance(name, core) <= 2 or _distance(plain, core) <= 1:
                return core
        return None
