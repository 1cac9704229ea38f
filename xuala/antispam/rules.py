"""The rules half of the anti-spam filter: each rule looks at one thing and says why.

Pure Python (no Django). A rule takes the item and the site's context and returns
a `Reason` (a machine code, a weight in log-odds added to the model's margin, and
the evidence in a few words) or None when it has nothing to say. The weights are
in the same unit as the model's margin, so a reason of weight 2.0 multiplies the
odds of spam by e**2 (about 7).

What the rules need from outside (IPs and domains already confirmed as spam, how
many addresses sent the same text, the DNS block lists) arrives through
`SiteContext`, so the Django side decides where those facts live and tests can
hand them over directly.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache

from xuala.antispam.filter import URL, Item, domain_of, fold, links_of, registrable

LINKS_FREE = 2  # links in a text before the count starts to weigh
SECONDS_HUMAN = 3.0  # a person does not read and fill a form faster than this
SAME_CONTENT_IPS = 3  # distinct addresses sending one text before it is a campaign
MIN_WORDS_FOR_LANGUAGE = 6


@dataclass(frozen=True)
class Reason:
    code: str
    weight: float
    detail: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "weight": round(self.weight, 3), "detail": self.detail}


@dataclass
class SiteContext:
    """What the filter knows about the site and its recent traffic."""

    languages: tuple[str, ...] = ("es",)
    spam_ips: Collection[str] = frozenset()
    spam_domains: Collection[str] = frozenset()
    ips_for_content: Callable[[str], int] | None = None
    dnsbl_zones: tuple[str, ...] = ()
    dnsbl_lookup: Callable[[str], bool] | None = None
    disposable_domains: Collection[str] | None = None
    rates: tuple = ()  # limits.Rate of the sender's address and network this minute
    extra_rules: list = field(default_factory=list)


def content_fingerprint(text: str) -> str:
    """The same text whatever its case, accents and spacing (for the many-addresses rule)."""
    return hashlib.sha256(" ".join(fold(text).split()).encode()).hexdigest()[:32]


def rule_links(item: Item, site: SiteContext) -> Reason | None:
    count = len(links_of(item))
    markup = "<a " in item.content.lower() or "[url" in item.content.lower()
    if count <= LINKS_FREE and not (markup and count):
        return None
    weight = 0.8 * max(count - LINKS_FREE, 0) + (1.0 if markup else 0.0)
    detail = f"{count} links" + (", in link markup" if markup else "")
    return Reason("links", min(weight, 4.0), detail)


def rule_link_domains(item: Item, site: SiteContext) -> Reason | None:
    hosts = {domain_of(link) for link in links_of(item)}
    if item.url:
        hosts.add(domain_of(item.url))
    known = site.spam_domains
    bad = sorted(h for h in hosts if h and (h in known or registrable(h) in known))
    if not bad:
        return None
    return Reason("spam_domain", 4.0, "confirmed spam domain: " + ", ".join(bad[:3]))


def rule_honeypot(item: Item, site: SiteContext) -> Reason | None:
    name = item.extra.get("honeypot_field_name", "")
    if not name or not str(item.extra.get(name, "")).strip():
        return None
    return Reason("honeypot", 8.0, f"hidden field {name!r} was filled")


def rule_too_fast(item: Item, site: SiteContext) -> Reason | None:
    seconds = item.extra.get("form_seconds")
    try:
        seconds = float(seconds) if seconds not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if seconds is None or seconds >= SECONDS_HUMAN:
        return None
    return Reason("too_fast", 3.0, f"form sent {seconds:.1f} s after it was shown")


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def rule_disposable_email(item: Item, site: SiteContext) -> Reason | None:
    domain = item.email.rpartition("@")[2].lower().strip()
    domains = site.disposable_domains
    if domains is None:
        domains = disposable_domains()
    if not domain or domain not in domains:
        return None
    return Reason("disposable_email", 2.0, f"throwaway address at {domain}")


SCRIPTS = {"cyrillic": "\u0400-\u04ff", "cjk": "\u4e00-\u9fff", "kana": "\u3040-\u30ff",
           "arabic": "\u0600-\u06ff", "hangul": "\uac00-\ud7af", "greek": "\u0370-\u03ff"}
SCRIPT_RE = {name: re.compile(f"[{span}]") for name, span in SCRIPTS.items()}
LETTER = re.compile(r"[^\W\d_]")
WORDS = re.compile(r"[^\W\d_]+")
LATIN_LANGUAGES = {"es", "en", "ca", "gl", "eu", "pt", "fr", "de", "it"}


def script_of(text: str) -> tuple[str, float]:
    """The main non-Latin script of a text's words (links aside) and its share of the letters."""
    if not text or max(text) < "\u0370":  # nothing past Latin (and its accents): most texts
        return "latin", 0.0
    text = URL.sub(" ", text)
    letters = len(LETTER.findall(text))
    if not letters:
        return "latin", 0.0
    name, count = max(((name, len(rx.findall(text))) for name, rx in SCRIPT_RE.items()),
                      key=lambda pair: pair[1])
    return (name, count / letters) if count else ("latin", 0.0)


def rule_script(item: Item, site: SiteContext) -> Reason | None:
    if not set(site.languages) <= LATIN_LANGUAGES:
        return None
    name, share = script_of(item.content[:2000])
    if share < 0.3:
        return None
    return Reason("script", 4.0, f"{share:.0%} of the letters are {name}; the site writes "
                                 + "/".join(site.languages))


@lru_cache(maxsize=1)
def _detector():
    # lingua hands each text to a pool of threads; one is enough for one short text and
    # spares a busy machine the hand-off between threads (about half the wall time).
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    from lingua import Language, LanguageDetectorBuilder

    languages = [Language.SPANISH, Language.ENGLISH, Language.PORTUGUESE, Language.FRENCH,
                 Language.GERMAN, Language.ITALIAN, Language.CATALAN]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def language_of(text: str) -> tuple[str, float]:
    """The most likely language (ISO 639-1) of a Latin-script text and its confidence."""
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return "", 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), best.value


# The commonest short words of each language the detector knows: a text with several of
# one site language's and few of any other's is in that language without asking lingua.
STOPWORDS = {code: frozenset(words.split()) for code, words in {
    "es": "de la que el en y los se del las un por con una para es al lo como pero sus le ya "
          "muy este esta mi gracias hola",
    "en": "the and of to in is that for it with as was on are this be have you your my "
          "thanks hello",
    "pt": "de que o do da em um para com uma os no se na por mais as dos obrigado voce",
    "fr": "le de la et les des en un une du est que pour dans pas sur au avec vous merci",
    "de": "der die und in den von zu das mit sich des auf ist nicht ein eine ich sie danke",
    "it": "di che il la e per un in non una sono del della con mi grazie ciao",
    "ca": "de la i el que a les en per del els un amb una es no al als pero moltes gracies",
}.items()}
_WORD_LANGS: dict[str, set[str]] = {}
for _code, _words in STOPWORDS.items():
    for _word in _words:
        _WORD_LANGS.setdefault(_word, set()).add(_code)


def plainly_in(words: list[str], languages: tuple[str, ...]) -> bool:
    """Whether the short words say, beyond doubt, that a text is in one of these languages.

    Words the site's languages share with others ("de", "la") count for the site only;
    another language needs words of its own to count against it.
    """
    ours = theirs = 0
    others: dict[str, int] = {}
    for word in words:
        codes = _WORD_LANGS.get(word)
        if not codes:
            continue
        if any(code in languages for code in codes):
            ours += 1
        else:
            for code in codes:
                others[code] = others.get(code, 0) + 1
    theirs = max(others.values(), default=0)
    return ours >= 3 and ours >= 3 * theirs + 1


def rule_language(item: Item, site: SiteContext) -> Reason | None:
    text = item.content[:1000]
    words = WORDS.findall(fold(text))
    if len(words) < MIN_WORDS_FOR_LANGUAGE or script_of(text)[1] >= 0.3:
        return None
    if plainly_in(words, site.languages):
        return None
    code, confidence = language_of(text[:400])
    if not code or code in site.languages or confidence < 0.7:
        return None
    return Reason("language", 1.5, f"written in {code} ({confidence:.0%}); the site writes "
                                   + "/".join(site.languages))


def rule_same_content(item: Item, site: SiteContext) -> Reason | None:
    if site.ips_for_content is None or len(item.content.strip()) < 20:
        return None
    ips = site.ips_for_content(content_fingerprint(item.content))
    if ips < SAME_CONTENT_IPS:
        return None
    return Reason("same_content", min(1.0 + ips / 2, 5.0),
                  f"the same text came from {ips} addresses")


def rule_spam_ip(item: Item, site: SiteContext) -> Reason | None:
    if not item.user_ip or item.user_ip not in site.spam_ips:
        return None
    return Reason("spam_ip", 4.0, f"{item.user_ip} sent confirmed spam")


def dnsbl_name(ip: str, zone: str) -> str | None:
    """The DNS name to ask a block list about an address (reversed nibbles or octets)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 4:
        reversed_ip = ".".join(reversed(str(address).split(".")))
    else:
        reversed_ip = ".".join(reversed(address.exploded.replace(":", "")))
    return f"{reversed_ip}.{zone.strip('.')}"


def rule_dnsbl(item: Item, site: SiteContext) -> Reason | None:
    if not item.user_ip or not site.dnsbl_zones or site.dnsbl_lookup is None:
        return None
    for zone in site.dnsbl_zones:
        name = dnsbl_name(item.user_ip, zone)
        if name and site.dnsbl_lookup(name):
            return Reason("dnsbl", 3.0, f"{item.user_ip} is listed in {zone}")
    return None


def rule_rate(item: Item, site: SiteContext) -> list[Reason]:
    found = []
    for rate in site.rates:
        if rate.over:
            kind, _, scope = rate.scope.partition(":")
            found.append(Reason("ip_rate" if kind == "ip" else "network_rate",
                                4.0 if kind == "ip" else 3.0,
                                f"{rate.count} submissions from {scope} this minute "
                                f"(limit {rate.limit})"))
    return found


RULES: list[Callable[[Item, SiteContext], Reason | None]] = [
    rule_links, rule_link_domains, rule_honeypot, rule_too_fast, rule_disposable_email,
    rule_script, rule_language, rule_same_content, rule_spam_ip, rule_dnsbl,
]


def reasons(item: Item, site: SiteContext) -> list[Reason]:
    found = []
    for rule in RULES + list(site.extra_rules):
        reason = rule(item, site)
        if reason is not None:
            found.append(reason)
    if site.rates:
        found.extend(rule_rate(item, site))
    return found
