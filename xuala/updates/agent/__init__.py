"""The node half of the Tuesday updates (issue 16): everything that runs where the site's
files are, with no Django import, so the node agent runs it by dotted path.

- ``wordpress``: the site's facts (inventory through ``wordpress.php`` run with ``php``, file
  parsing where WordPress cannot answer) and its upgrade routines;
- ``sources``: where new versions come from (a directory, an HTTP mirror, the official
  update service);
- ``checks`` and ``screens``: the page checks and the visual comparison;
- ``files`` and ``database``: the snapshots and the byte-for-byte way back;
- ``install``: putting a new version in place without writing any file in place;
- ``journal`` and ``run``: the per-site run, resumable after a crash.
"""
