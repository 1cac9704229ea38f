"""The held-out benchmark set for the anti-spam filter (bench/data/antispam_bench.jsonl).

Written apart from the training corpus (xuala/antispam/corpus/make.py) and on
purpose in other words: different templates, other products, other scams, other
link shapes, so that the figures say how the filter does on text it never saw.
Only the writers' names and mail providers (corpus/voices.py) are shared.
Run: PYTHONPATH=. python bench/data/make_antispam_bench.py
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from xuala.antispam.corpus import voices as v

HERE = Path(__file__).resolve().parent
SPIN = re.compile(r"\{([^{}]*\|[^{}]*)\}")
SLOT = re.compile(r"\{(\w+)\}")


def fill(rng: random.Random, text: str, slots: dict[str, list[str]]) -> str:
    for _ in range(6):
        text = SLOT.sub(lambda m: rng.choice(slots[m.group(1)]) if m.group(1) in slots
                        else m.group(0), text)
        text = SPIN.sub(lambda m: rng.choice(m.group(1).split("|")), text)
    return text


HAM = {
    ("es", "comment"): [
        "Yo lo hago en la freidora de aire a {temp} grados y {time} minutos, queda {adj}.",
        "¿Y si no tengo {ingredient}? ¿Con qué lo puedo sustituir?",
        "Me pasó lo mismo con la {company}, al final tuve que ir a consumo a reclamar.",
        "Enhorabuena por el {prize}, os lo merecéis después de tantos años.",
        "Qué recuerdos, de pequeña veraneaba en {town} y esa playa era nuestra.",
        "Ojo, que el horario del museo ha cambiado, ahora cierran los lunes.",
        "Lo estoy leyendo desde el móvil y las fotos no cargan, no sé si es cosa mía.",
        "Pues en mi pueblo lo llamamos de otra manera, pero es lo mismo jaja",
        "Buenísimo, mañana lo pruebo. Os cuento qué tal.",
        "Discrepo un poco: para {ingredient} fresco es mejor no lavarlo hasta el momento de usarlo.",
        "Hemos hecho la excursión con el grupo del {group} y ha sido un acierto, gracias por la info",
        "Una consulta, el plugin de reservas ¿es compatible con {plugin}?",
        "Gracias por responder tan rápido a mi duda de ayer, ya me funciona.",
        "¿Alguien sabe si el camping de {town} abre en invierno?",
        "Que razón tienes con lo de los autónomos, cada trimestre es un drama",
    ],
    ("en", "comment"): [
        "I do mine in the air fryer at {temp} degrees for {time} minutes, comes out {adj}.",
        "What if I don't have {ingredient}? Anything I can swap in?",
        "Same thing happened to me with {company}, had to go to the ombudsman in the end.",
        "Congrats on the {prize}, well deserved after all these years.",
        "Brings back memories, we used to holiday in {town} when I was little.",
        "Heads up, the museum opening times changed, they're closed on Mondays now.",
        "Reading this on my phone and the pictures won't load, might just be me.",
        "Trying this tomorrow, will report back!",
        "Did the walk with the {group} and it was spot on, thanks for the info",
        "Is the booking plugin compatible with {plugin}?",
        "Anyone know if the campsite in {town} is open in winter?",
    ],
    ("es", "contact"): [
        "Hola, os escribo porque el {appliance} que me instalasteis hace un mes hace un ruido raro. ¿Podéis pasar a verlo?",
        "Buenas, ¿cuánto costaría un {service} para una casa de {m2} metros en {town}?",
        "Quisiera información sobre las clases de {class}: precio, horarios y si hay prueba gratis.",
        "Necesito cambiar la fecha de la reserva {ref} al fin de semana siguiente, si hay hueco.",
        "Buenos días, me cobraron dos veces el último pedido. Adjunto el extracto del banco.",
        "Hola! Vi vuestro puesto en el mercadillo de {town} y quería saber si hacéis pedidos por encargo.",
        "Tengo una duda con la garantía del {appliance}: ¿cubre la mano de obra o solo las piezas?",
        "Os escribo de parte de mi madre, que no se aclara con el ordenador: quiere darse de baja del boletín.",
        "¿Se puede recoger el pedido en tienda para ahorrar gastos de envío?",
        "Me gustaría trabajar con vosotros, ¿dónde puedo enviar el currículum?",
        "La web no me deja entrar con mi usuario, me dice contraseña incorrecta y ya la he cambiado dos veces.",
    ],
    ("en", "contact"): [
        "Hi, the {appliance} you fitted last month is making a strange noise. Could someone come and look?",
        "How much would a {service} be for a {m2} square metre house in {town}?",
        "I'd like info on the {class} classes: price, times, and is there a free trial?",
        "Could I move booking {ref} to the following weekend if there's space?",
        "I was charged twice for my last order, bank statement attached.",
        "Does the warranty on the {appliance} cover labour or just parts?",
        "Can I collect from the shop to save on postage?",
        "I can't log in, it says wrong password and I've reset it twice already.",
        "Are you hiring? Where can I send my CV?",
    ],
    ("es", "registration"): ["", "", "Me apunto para el taller de {class}.", "Vecina de {town}."],
    ("en", "registration"): ["", "", "Joining for the {class} workshop.", "Local to {town}."],
    ("es", "order_note"): ["Dejar en el buzón si cabe.", "Horario de entrega de 9 a 14.", "Es para {town}, no para la dirección de facturación.", ""],
    ("en", "order_note"): ["Leave in the porch please.", "Deliver 9-2 only.", "Ship to the {town} address, not billing.", ""],
}
HAM_SLOTS = {
    "temp": ["180", "200", "160", "190"], "time": ["12", "15", "20", "8"],
    "adj": ["crujiente", "perfecto", "jugoso", "crispy", "perfect", "just right"],
    "ingredient": ["mantequilla", "levadura", "nata", "perejil", "buttermilk", "yeast", "fresh basil"],
    "company": ["la eléctrica", "compañía del gas", "the energy company", "the airline", "la aerolínea"],
    "prize": ["premio", "aniversario", "award", "anniversary"],
    "town": ["Cadaqués", "Laredo", "Jávea", "Ribadeo", "Conil", "Whitby", "Tenby", "Oban", "St Ives"],
    "group": ["instituto", "club de montaña", "walking club", "scouts"],
    "plugin": ["WooCommerce", "Elementor", "WPML", "Contact Form 7"],
    "appliance": ["termo", "aire acondicionado", "boiler", "heat pump", "caldera"],
    "service": ["certificado energético", "pintado completo", "energy certificate", "full repaint"],
    "m2": ["90", "120", "75", "200"], "class": ["pilates", "cerámica", "guitarra", "pottery", "spanish"],
    "ref": ["R-2231", "#8812", "BK-0042"],
}

SPAM = {
    "seo": [
        "{Useful|Informative} {resource|read}! For anyone {searching|looking} for {kw}, {this|here is a} {guide|site}: {link}",
        "{kw} | {kw} | {kw} >>> {link}",
        "{Visit|Go to} {link} {for|to get} the {best|cheapest} {kw} {deals|offers} {online|this year}",
        "{Muy buen aporte|Buen post}. {Si buscas|Para} {kw} {entra en|mira} {link}",
    ],
    "praise": [
        "{This|Your} {write-up|content} {is|was} {super|really} {clear|well written}, {shared it with|sent it to} my {colleagues|friends}. {Regards|Cheers}!",
        "{Awesome|Fantastic} {stuff|work}, I {subscribed|signed up} to your {RSS|feed} {right away|immediately}.",
        "{I like|Love} the {valuable|helpful} {info|information} you {provide|supply} in your {articles|posts}. I will bookmark your weblog.",
        "{Nice|Cool} {theme|template}, {which|what} {plugin|theme} is it? {Also|Btw} {my site|my blog}: {link}",
        "{Qué buen|Excelente} {contenido|artículo}, lo {he compartido|comparto} con {mis amigos|mi equipo}. {Saludos cordiales|Un saludo}!",
    ],
    "pharma": [
        "{Pharmacy|Drugstore} {online|24h}: {kw}, {kw}, {kw}. {No Rx|Without doctor} {needed|required} {link}",
        "{Men's|Male} {enhancement|power} {formula|pills} - {results in|works in} {30 minutes|1 hour}. {Order|Buy} at {link}",
        "{Farmacia|Botica} online {sin receta|24h}: {kw} {al mejor precio|con descuento} {link}",
    ],
    "casino": [
        "{Register|Sign up} {today|now} at {link} and {receive|grab} {50|150} {free spins|bonus spins}! {kw}",
        "{Jackpot|Mega win} {alert|time}! {kw} {pays out|withdraws} {in minutes|instantly} {link}",
        "{Regístrate|Apúntate} y {llévate|consigue} {50|100}€ {gratis|sin depósito} en {kw}: {link}",
    ],
    "scam": [
        "{My|Our} {family|life} {changed|improved} {since|after} I {started|began} {kw} with {expert|broker} {scam}. {Reach|Contact} {him|her} on {Telegram|WhatsApp} @{handle}",
        "{URGENT|ATTENTION}: {you|your email} {have|has} {won|been selected for} {a prize of|an award of} {money}. {Send|Provide} your {details|bank info} to {mail}",
        "{Hello|Greetings}, I am {scam}, {a lawyer|a banker} {in|from} {Lagos|London|Accra}. {I have|There is} a {business proposal|fund transfer} of {money} {for you|to share}. {mail}",
        "{Duplica|Multiplica} tu {dinero|inversión} en {7|10} días con {kw}. {Escríbeme|Contacta} por Telegram @{handle}",
    ],
    "offer": [
        "{Hi|Hello}! {Your|The} {site|website} {loads|is} {slowly|slow} on {mobile|phones}. {I|We} {can|could} {speed it up|optimize it} {for|at} {money}. {Interested|Let me know}?",
        "{Dear|Hi} {owner|business owner}, {we|I} {manage|can run} your {Facebook|Instagram} {ads|page} {for|starting at} {money}/month. {Portfolio|Examples}: {link}",
        "{Hello|Hi}, {I'm|this is} {scam}. {I|We} {write|create} {SEO articles|blog content} {at|for} {money} per {1000 words|article}. {Reply|Answer} {to|for} {samples|details}.",
        "{Hola|Buenas}, {le|te} {ofrecemos|proponemos} {aparecer|salir} en {Google Maps|los primeros resultados} {con|mediante} nuestra {campaña|herramienta}. {Solo|Desde} {money}. {link}",
        "{Hi|Hello} team, {are you|would you be} {open to|interested in} {a partnership|a collaboration}? {We|I} {place|publish} {articles|links} {on your site|on {site}} {paid|for a fee}.",
    ],
    "phish": [
        "{Notice|Warning}: {your|the} {mailbox|email account} {is full|reached its quota}. {Upgrade|Restore} {here|access}: {link}",
        "{Hi|Hello}, {please|kindly} {see|check} the {attached|linked} {invoice|purchase order} {and confirm|for payment}: {link}",
        "{Aviso|Alerta}: {tu|su} {buzón|correo} {está lleno|ha superado la cuota}. {Amplíe|Recupere} {aquí|el acceso}: {link}",
        "{Hello|Hi}, {someone|a user} {reported|flagged} your {website|page} for {copyright|trademark} {infringement|violation}. {Review|Appeal} {within 24h|now}: {link}",
    ],
    "adult": [
        "{Bored|Lonely} {tonight|this evening}? {Real|Local} {women|girls} {online now|chatting now} {link}",
        "{I|i} {found|saw} {you|your photo} {on|at} {the site|instagram} :) {message|text} me {here|at} {link}",
    ],
    "foreign": [
        "{Срочно|Быстро} {продам|куплю} {базу|аккаунты} {недорого|оптом} {link}",
        "{Лучшие|Топовые} {ставки|букмекеры} {2026|онлайн} {link}",
        "{免费|超值}{下载|领取}{电影|软件}{网站|资源} {link}",
        "{副業|在宅ワーク}で{月収|日給}{50万|3万}円 {link}",
    ],
}
SPAM_KW = {
    "seo": ["wedding photographers", "plumber near me", "roof repair", "dental implants abroad",
            "cheap flights", "reformas baratas", "abogados de divorcio", "mudanzas económicas"],
    "pharma": ["sildenafil", "tadalafil", "modafinil", "valium", "ozempic without prescription", "finasteride"],
    "casino": ["crash game", "aviator game", "sportsbook", "baccarat online", "casino sin licencia"],
    "scam": ["copy trading", "gold mining pool", "AI trading bot", "staking", "arbitraje de criptomonedas"],
}


def spam_item(rng: random.Random, family: str, lang: str) -> dict:
    kws = SPAM_KW.get(family, SPAM_KW["seo"] + SPAM_KW["casino"])
    words = [*re.findall(r"[a-z]+", " ".join(kws).lower())[:12], "best", "pro", "hub", "zone"]
    domain_words = list(dict.fromkeys(words))
    url = v.spam_url(rng, domain_words)
    link = rng.choice([url, url, f'<a href="{url}">{rng.choice(kws)}</a>', f"{url} ",
                       url.replace("https://", "").replace("http://", "")])
    slots = {"kw": kws, "link": [link], "scam": ["Mr. Daniel Owen", "Dr. Susan Reed", "Frank Mills", "Ms. Chen Li"],
             "handle": ["profit_daniel", "susanreed_fx", "cryptofrank22"],
             "mail": [f"claims{rng.randint(1, 99)}@{rng.choice(v.SPAM_MAIL_DOMAINS)}"],
             "money": ["$2,500,000", "$99", "€75", "$5.8 million", "USD 40"], "site": ["your blog"]}
    body = fill(rng, rng.choice(SPAM[family]), slots).strip()
    kind = {"offer": "contact", "phish": "contact"}.get(family, "comment")
    if family == "scam" and rng.random() < 0.5:
        kind = "contact"
    name = rng.choice([v.junk_name(rng), " ".join(v.person(rng, "en")), rng.choice(kws)])
    return {"content": body, "author": name, "email": v.junk_email(rng, name, 0.25),
            "url": url if rng.random() < 0.4 else "", "type": kind, "lang": lang,
            "label": "spam", "family": family}


def registration_bot(rng: random.Random, lang: str) -> dict:
    name = v.junk_name(rng)
    url = v.spam_url(rng, ["shop", "deal", "best", "online", "store"])
    return {"content": rng.choice(["", "", f"{name} here", url]), "author": name,
            "email": v.junk_email(rng, name, 0.6), "url": url if rng.random() < 0.5 else "",
            "type": "registration", "lang": lang, "label": "spam", "family": "registration"}


def ham_item(rng: random.Random, lang: str, kind: str) -> dict:
    first, last = v.person(rng, lang)
    body = v.typos(rng, fill(rng, rng.choice(HAM[(lang, kind)]), HAM_SLOTS), 0.3).strip()
    return {"content": body, "author": v.author_of(rng, first, last),
            "email": v.email_of(rng, first, last, lang), "url": "", "type": kind,
            "lang": lang, "label": "ham", "family": f"ham_{kind}"}


def bench_set(*, seed: int, size: int) -> list[dict]:
    rng = random.Random(seed)
    families = ["seo", "praise", "pharma", "casino", "scam", "offer", "phish", "adult", "foreign"]
    weights = [14, 14, 9, 9, 12, 14, 10, 6, 6]
    items = []
    for _ in range(size):
        lang = "es" if rng.random() < 0.6 else "en"
        if rng.random() < 0.45:
            if rng.random() < 0.08:
                items.append(registration_bot(rng, lang))
            else:
                items.append(spam_item(rng, rng.choices(families, weights)[0], lang))
        else:
            kind = rng.choices(["comment", "contact", "registration", "order_note"], [45, 35, 10, 10])[0]
            items.append(ham_item(rng, lang, kind))
    return items


def main(argv: list[str]) -> int:
    size = int(argv[0]) if argv else 1200
    with (HERE / "antispam_bench.jsonl").open("w", encoding="utf-8") as out:
        for item in bench_set(seed=2026, size=size):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
