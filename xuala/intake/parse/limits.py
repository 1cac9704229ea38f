"""The parser's limits: how much of a hostile message is read, and how deep.

Every bound that keeps parsing linear in the size of the message is here, with the
reason for it, so that the stages cannot disagree on them.
"""

from __future__ import annotations

import email.policy

from xuala.intake.charsets import DeclaredCharsets

MAX_DEPTH = 40
MAX_DEFECTS = 60
MAX_HEADER_VALUE = 8_000          # longer header values are cut before decoding
# email.policy.default's header parser is quadratic on some input (8,000 '"' take seconds):
# longer values, and address headers past the tenth, go to the linear compat32 readers.
MAX_REGISTRY_VALUE = 400
# compat32's parameter parser is quadratic too: MIME headers of parts are cut to this length.
MAX_MIME_HEADER = 2_000
MAX_PARTS = 1_000                 # MIME parts read per message; the rest is noted, not read
MAX_ADDRESS_VALUES = 10
LEADING_GARBAGE_LINES = 5         # lines skipped before the headers when none are found
MAX_QUOTE_DEPTH = 10              # deeper HTML blockquotes are drawn with ten ">"
MAX_REPORT_LINE = 2_000           # bounce text lines are cut to this before pattern matching

POLICY_DEFAULT = email.policy.default
POLICY_COMPAT = email.policy.compat32
NO_HINTS = DeclaredCharsets()
