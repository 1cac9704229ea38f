"""The people behind the corpus: names, addresses, sites and the ways they mistype.

Shared by the training corpus (`make.py`) and the benchmark set's own generator
(bench/data/make_antispam_bench.py), which brings its own wording: only who writes
is common to both, never what they write.
"""

from __future__ import annotations

import random
import string
import unicodedata

FIRST_ES = ["María", "José", "Carmen", "Antonio", "Lucía", "Javier", "Pilar", "Manuel", "Elena",
            "Francisco", "Isabel", "David", "Ana", "Sergio", "Rocío", "Pablo", "Marta", "Jorge",
            "Laura", "Alberto", "Nerea", "Iñaki", "Ainhoa", "Xavier", "Montse", "Raúl", "Cristina",
            "Óscar", "Beatriz", "Alejandro", "Yolanda", "Rubén", "Noelia", "Fernando", "Teresa",
            "Andrés", "Lorena", "Miguel Ángel", "Begoña", "Álvaro", "Sonia", "Gonzalo", "Amparo"]
LAST_ES = ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
           "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
           "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
           "Gil", "Serrano", "Blanco", "Molina", "Castro", "Ortega", "Rubio", "Marín", "Iglesias",
           "Etxeberria", "Puig", "Vidal", "Ferrer", "Castells", "Otero", "Varela", "Quintana"]
FIRST_EN = ["James", "Emma", "Oliver", "Sophie", "Harry", "Chloe", "Jack", "Megan", "Thomas",
            "Hannah", "Daniel", "Rachel", "Michael", "Laura", "Chris", "Jenny", "Mark", "Claire",
            "Steve", "Amy", "Paul", "Karen", "Ben", "Lucy", "Tom", "Sarah", "Greg", "Helen",
            "Ryan", "Natalie", "Ian", "Fiona", "Colin", "Joanne", "Gareth", "Zoe", "Liam", "Priya"]
LAST_EN = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
           "Hall", "Wood", "Jackson", "Clarke", "Patel", "Hughes", "Edwards", "Murphy", "O'Neill",
           "Campbell", "Kelly", "Price", "Bennett", "Shaw", "Fletcher", "Kaur", "Okafor"]
MAIL_FREE = ["gmail.com", "hotmail.com", "yahoo.es", "outlook.com", "hotmail.es", "icloud.com",
             "telefonica.net", "yahoo.com", "live.com", "gmx.es", "protonmail.com", "orange.fr"]
MAIL_WORK_ES = ["asesoriaroldan.es", "clinicadentalsur.com", "talleresmoreno.es",
                "fontaneriagil.com", "ayto-villanueva.es", "colegiosanjose.org",
                "inmobiliariacosta.es", "bodegasvalle.com", "ferreteriacentral.es", "uv.es",
                "usal.es", "ehu.eus"]
MAIL_WORK_EN = ["brightdental.co.uk", "harrisonlaw.com", "greenleafgardens.co.uk", "nhs.net",
                "acmeplumbing.com", "oakwoodschool.org", "ed.ac.uk", "millerbakery.com"]
DISPOSABLE = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com",
              "trashmail.com", "sharklasers.com", "tempmail.net", "dispostable.com",
              "maildrop.cc", "getnada.com", "throwawaymail.com", "mailnesia.com"]
SPAM_MAIL_DOMAINS = ["mail.ru", "yandex.ru", "bk.ru", "inbox.lv", "rambler.ru", "gmail.com",
                     "outlook.com", "hotmail.com", "aol.com", "seo-rank-pro.net", "o2.pl",
                     "163.com", "qq.com", "web.de", "gazeta.pl", "list.ru"]
OWN_SITES = ["https://www.facebook.com/", "https://www.instagram.com/", "https://twitter.com/",
             "https://www.linkedin.com/in/", "https://www.youtube.com/watch?v=",
             "https://maps.google.com/?q=", "https://www.tripadvisor.es/", "https://es.wikipedia.org/wiki/",
             "https://www.boe.es/buscar/doc.php?id=", "https://github.com/"]
SPAM_TLDS = ["com", "net", "ru", "xyz", "top", "info", "online", "site", "club", "pw", "biz",
             "shop", "store", "live", "icu", "cn", "io", "co", "pl", "su"]


def person(rng: random.Random, lang: str) -> tuple[str, str]:
    first = rng.choice(FIRST_ES if lang == "es" else FIRST_EN)
    last = rng.choice(LAST_ES if lang == "es" else LAST_EN)
    return first, last


def author_of(rng: random.Random, first: str, last: str) -> str:
    shape = rng.random()
    if shape < 0.45:
        return f"{first} {last}"
    if shape < 0.7:
        return first
    if shape < 0.8:
        return f"{first} {last[0]}."
    if shape < 0.9:
        return f"{first.lower()}{rng.randint(70, 99)}"
    return f"{first} {last}".lower()


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def email_of(rng: random.Random, first: str, last: str, lang: str) -> str:
    local = ascii_fold(rng.choice([
        f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}",
        f"{first}_{last}{rng.randint(60, 99)}", f"{last}.{first[0]}"])).lower().replace(" ", "")
    local = local.replace("'", "")
    domains = MAIL_FREE + (MAIL_WORK_ES if lang == "es" else MAIL_WORK_EN)
    return f"{local}@{rng.choice(domains)}"


def spam_slug(rng: random.Random, words: list[str]) -> str:
    return rng.choice("-_") .join(rng.sample(words, k=min(len(words), rng.randint(1, 3))))


def spam_domain(rng: random.Random, words: list[str]) -> str:
    base = spam_slug(rng, words).replace("_", "-")
    if rng.random() < 0.3:
        base += str(rng.randint(1, 999))
    return f"{base}.{rng.choice(SPAM_TLDS)}"


def spam_url(rng: random.Random, words: list[str]) -> str:
    domain = spam_domain(rng, words)
    path = rng.choice(["", "/", f"/{spam_slug(rng, words)}", f"/?ref={rng.randint(100, 99999)}",
                       f"/go/{rng.randint(10, 9999)}", f"/{spam_slug(rng, words)}.html",
                       f"/index.php?id={rng.randint(1, 9999)}"])
    scheme = "https" if rng.random() < 0.6 else "http"
    www = "www." if rng.random() < 0.3 else ""
    return f"{scheme}://{www}{domain}{path}"


def junk_name(rng: random.Random) -> str:
    """A machine-made name of the kind registration bots use (a first name and a tail)."""
    base = rng.choice([*FIRST_EN, "Andrew", "Robert", "William", "Davidvon", "Henry", "Eugene",
                       "Kevin", "Brian", "Jasonsek", "Anna", "Olga", "Irina"])
    tail = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 4)))
    scrambled = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(6, 12)))
    return rng.choice([base + tail, base.lower() + tail, base + tail.upper(), scrambled])


def junk_email(rng: random.Random, name: str, disposable_share: float = 0.3) -> str:
    local = ascii_fold(name).lower().replace(" ", "") + str(rng.randint(0, 9999))
    if rng.random() < 0.3:
        local = "".join(rng.choice(string.ascii_lowercase + string.digits)
                        for _ in range(rng.randint(7, 14)))
    if rng.random() < disposable_share:
        return f"{local}@{rng.choice(DISPOSABLE)}"
    return f"{local}@{rng.choice(SPAM_MAIL_DOMAINS)}"


def typos(rng: random.Random, text: str, rate: float) -> str:
    """How hurried visitors write: no accents, lower case, doubled or dropped letters."""
    if rng.random() < rate:
        text = ascii_fold(text)
    if rng.random() < rate * 0.6:
        text = text.lower()
    if rng.random() < rate * 0.5:
        text = text.rstrip(".!")
    out = []
    for ch in text:
        roll = rng.random()
        if ch.isalpha() and roll < rate * 0.02:
            continue
        if ch.isalpha() and roll < rate * 0.035:
            out.append(ch + ch)
            continue
        out.append(ch)
    return "".join(out)
