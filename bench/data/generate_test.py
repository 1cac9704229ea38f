"""Writes triage_test.jsonl: the held-apart test set of coverage triage (never trained on).

Written apart from the training corpus: its own templates, phrasing, word pools, writers
and seed (the training generator is xuala/triage/data/generate_train.py). Each line is a
request as `xuala triage eval` reads it, with the scope rule it belongs to as "expect".

    python bench/data/generate_test.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from xuala.triage.corpus import angry, fill, hurried, strip_accents, typos, write_jsonl

SEED = 77031
OUT = Path(__file__).with_name("triage_test.jsonl")
COUNTS = {
    "site_down": 40, "mail_server": 44, "mail_client": 30, "hosting": 40, "site_fault": 40,
    "paid_change": 26, "meeting": 16, "third_party": 24, "personal_computing": 18, "other": 18,
    "content_management": 8, "ecommerce_orders": 8, "customer_service": 6,
}

P = {
    "web": ["carpinteriaroble.es", "veterinariahuellas.com", "librerialetras.es", "gimnasiotitan.com",
            "cerveceriaoso.es", "autoescuelaverde.net"],
    "box": ["hola@", "facturas@", "tienda@", "direccion@", "admin@"],
    "ext": ["SiteOrigin", "Ninja Forms", "All in One SEO", "Smush", "MonsterInsights",
            "WooCommerce Stripe Gateway", "Polylang", "Slider Revolution", "The Events Calendar"],
    "paidext": ["Polylang Pro", "Ninja Forms Pro", "MonsterInsights Pro", "Astra Pro",
                "WooCommerce Product Bundles", "BeTheme"],
    "giant": ["Gmail", "Outlook.com", "Yahoo", "Telefónica", "Microsoft", "Apple", "Google"],
    "outside": ["Notion", "Slack", "Airtable", "Typeform", "Squarespace", "Zoom", "TikTok", "LinkedIn",
                "Sumup", "Glovo", "Vimeo", "Teams", "Discord", "Pinterest", "Etsy", "Doctoralia"],
    "phone": ["Xiaomi", "teléfono", "tablet", "Huawei", "iPhone 15"],
    "phone_en": ["Pixel", "tablet", "work phone", "iPhone 15"],
    "since": ["desde las nueve", "hace un rato", "desde el viernes", "toda la tarde"],
    "since_en": ["since nine", "for a while now", "since Friday", "all afternoon"],
    "who": ["Begoña", "Fermín", "Rocío", "Ignacio", "Maite"],
    "who_en": ["Harold", "Grace", "Oliver", "Megan"],
}

# label -> lang -> list of (subject, body)
T = {
    "site_down": {
        "es": [("No va la web", "La página {web} no abre {since}; el navegador da tiempo de espera agotado y tampoco entra el panel."),
               ("Caída total", "Ninguna de las webs que tenemos con vosotros responde {since}."),
               ("Web sin servicio", "Nuestra web está caída, sale el error 503 en todas las direcciones."),
               ("Urgente", "No hay forma de entrar a {web}: ni desde la oficina ni con datos del móvil. Parece que el servidor no contesta."),
               ("Se ha caído todo", "Se ha caído la web y no podemos vender, llevamos {since} sin página.")],
        "en": [("Site offline", "{web} has been offline {since}; every page times out, the panel too."),
               ("Total outage", "None of our websites hosted with you respond {since}."),
               ("Down", "The whole website is down with 503 on every address, we cannot sell.")],
    },
    "mail_server": {
        "es": [("Correos devueltos de {giant}", "Todo lo que enviamos a direcciones de {giant} vuelve devuelto; dicen que nuestra IP está bloqueada."),
               ("Correo", "Desde {since} no entra ni un correo en {box}{web}, tampoco lo veo en el correo web."),
               ("No salen los emails", "Los correos de {box}{web} no salen: el servidor los rechaza, da igual a quién escriba."),
               ("Clientes de {giant}", "Los clientes con cuenta de {giant} no reciben nuestras facturas y a otros sí les llegan."),
               ("Rebote", "Un proveedor dice que al escribirnos le rebota con 'usuario desconocido' en {box}{web}.")],
        "en": [("Bounces from {giant}", "Everything we send to {giant} addresses comes back; they say our IP is blocked."),
               ("Inbound mail", "Nothing has arrived at {box}{web} {since}, not even in webmail."),
               ("Outgoing mail rejected", "The server refuses every message I send from {box}{web}.")],
    },
    "mail_client": {
        "es": [("Correo en el {phone}", "No sé qué datos poner para tener el correo de {box}{web} en mi {phone}."),
               ("Outlook", "Outlook en el ordenador no descarga nada aunque en el correo web sí veo los mensajes."),
               ("Contraseña del correo", "Thunderbird me salta todo el rato pidiendo la clave del correo."),
               ("Configuración", "He reinstalado el Outlook y no recuerdo cómo se configuraba la cuenta, ¿servidor de entrada y salida?")],
        "en": [("Mail on my {phone_en}", "What settings do I need to read {box}{web} on my {phone_en}?"),
               ("Outlook sync", "Outlook on my desktop stopped syncing, although webmail shows the messages fine.")],
    },
    "hosting": {
        "es": [("Renovar dominio", "Nos ha llegado aviso de que {web} caduca pronto, ¿cómo lo renovamos?"),
               ("Candado del navegador", "El navegador pone 'no seguro' en {web}; creo que el certificado se ha vencido."),
               ("Registros DNS", "Necesito apuntar un registro MX y un CNAME nuevos en las DNS de {web}."),
               ("Recuperar copia", "Borramos unos archivos por error, ¿hay copia de seguridad de la semana pasada?"),
               ("Acceso por FTP", "El programa de FTP no conecta con el usuario que me disteis."),
               ("PHP", "El desarrollador pide PHP 8.3 en el alojamiento, ¿se puede cambiar?")],
        "en": [("Domain expiry", "We were told {web} expires soon, how do we renew it?"),
               ("Certificate", "Browsers mark {web} as not secure; I think the certificate ran out."),
               ("DNS records", "Please add an MX and a CNAME to the DNS zone of {web}.")],
    },
    "site_fault": {
        "es": [("Error al actualizar {ext}", "Actualicé {ext} y ahora sale 'error crítico' en la web; antes iba perfecta."),
               ("El carrito no funciona", "En la tienda WooCommerce el botón de pagar no hace nada y se pierden ventas."),
               ("TPV", "El TPV virtual rechaza todas las tarjetas en el pago de la tienda."),
               ("Formulario", "Los mensajes del formulario de la web no llegan, la web por lo demás va bien."),
               ("Diseño roto", "Tras la última actualización del tema, la cabecera y el menú se ven descolocados."),
               ("Error en una página", "Solo la página de reservas da error 500 desde que metí {ext}; el resto carga normal.")],
        "en": [("Critical error after {ext} update", "I updated {ext} and now the site says 'critical error'; it worked before."),
               ("Checkout broken", "In our WooCommerce shop the pay button does nothing."),
               ("Form not working", "The website's form messages never arrive; the rest of the site is fine.")],
    },
    "paid_change": {
        "es": [("Licencia {paidext}", "Queremos poner {paidext}, que es de pago con licencia anual. ¿Nos lo instaláis y qué coste tendría?"),
               ("Más espacio", "Se nos queda pequeño el plan: queremos ampliar espacio y buzones de correo."),
               ("Presupuesto de mejora", "¿Podríais pasarnos precio por añadir un área privada para socios en la web?"),
               ("Web en inglés", "Queremos la web también en inglés y francés, ¿cuánto nos costaría?")],
        "en": [("{paidext} licence", "We want {paidext}, which is licensed yearly. Can you install it and what would it cost?"),
               ("More space", "Our plan is too small: we need more storage and more mailboxes.")],
    },
    "meeting": {
        "es": [("Hablar con alguien", "¿Es posible que un técnico me llame? Por correo me lío."),
               ("Cita", "Me vendría bien una videollamada de media hora para ver juntos la web."),
               ("Reunión", "Quería quedar en una reunión virtual con vosotros la semana que viene.")],
        "en": [("Talk to someone", "Could a technician give me a call? Writing it down confuses me."),
               ("Appointment", "A half-hour video call to look at the site together would help.")],
    },
    "third_party": {
        "es": [("{outside}", "No puedo entrar en mi cuenta de {outside}, ¿me ayudáis a recuperarla?"),
               ("Ayuda con {outside}", "Usamos {outside} en la empresa y no sé cómo configurarlo."),
               ("Cuenta bloqueada", "{outside} me ha bloqueado la cuenta del negocio y no sé qué hacer."),
               ("Consulta {outside}", "¿Me explicáis cómo funciona el panel de {outside}? Su soporte no contesta.")],
        "en": [("{outside} account", "I am locked out of my {outside} account, can you help me get it back?"),
               ("Help with {outside}", "We use {outside} at work and I do not know how to configure it.")],
    },
    "personal_computing": {
        "es": [("Portátil", "El portátil tarda diez minutos en encender desde la actualización de Windows."),
               ("Impresora", "La impresora nueva no aparece en el ordenador."),
               ("Internet de la oficina", "Se nos corta el wifi de la oficina cada media hora.")],
        "en": [("Laptop", "My laptop takes ten minutes to start since the Windows update."),
               ("Printer", "The new printer does not show up on my computer.")],
    },
    "other": {
        "es": [("Facturación", "¿Me reenviáis la factura de noviembre? No la encuentro."),
               ("Contrato", "¿Hasta qué fecha tenemos contratado el servicio?"),
               ("Cambio de datos", "Ha cambiado el responsable de la empresa, ¿cómo actualizo sus datos de contacto?"),
               ("Agradecimiento", "Todo solucionado, muchas gracias por la rapidez.")],
        "en": [("Billing", "Could you resend November's invoice? I cannot find it."),
               ("Contract", "Until what date is our service contracted?")],
    },
    "content_management": {
        "es": [("Textos nuevos", "Os paso los textos nuevos de la sección 'quiénes somos' para que los cambiéis."),
               ("Fotos", "Adjunto las fotos del nuevo local para que las subáis a la web.")],
        "en": [("New texts", "Here are the new 'about us' texts, please put them on the site.")],
    },
    "ecommerce_orders": {
        "es": [("Devolución de un pedido", "Un comprador nos pide el reembolso de su pedido, ¿lo tramitáis vosotros?"),
               ("Pedidos de la tienda", "Hay que gestionar los pedidos pendientes de esta semana en la tienda.")],
        "en": [("Order refund", "A buyer asks for a refund of his order, can you process it?")],
    },
    "customer_service": {
        "es": [("Clientes", "¿Os podéis encargar de responder a mis clientes mientras cierro por vacaciones?"),
               ("Atención", "Busco que atendáis a mis clientes por correo en nombre de mi negocio.")],
        "en": [("Customers", "Could you answer my customers while I close for the holidays?")],
    },
}

GREET = {"es": ["Hola buenas,", "Buenas tardes.", "Saludos,", "Muy señores míos:", ""],
         "en": ["Hello there,", "Good afternoon.", "To whom it may concern,", ""]}
BYE = {"es": ["Un saludo. {who}", "Gracias. {who}", "Espero noticias.", ""],
       "en": ["Cheers, {who_en}", "Many thanks. {who_en}", "Waiting for news.", ""]}


def compose(label: str, lang: str, rng: random.Random) -> dict:
    subject, body = rng.choice(T[label][lang])
    body = "\n".join(x for x in (rng.choice(GREET[lang]), body, rng.choice(BYE[lang])) if x)
    subject, body = fill(subject, P, rng), fill(body, P, rng)
    roll = rng.random()
    if roll < 0.2:
        body, subject = hurried(body), subject.lower()
    elif roll < 0.3:
        body = angry(body, rng)
    if rng.random() < 0.3:
        subject, body = strip_accents(subject), strip_accents(body)
    if rng.random() < 0.25:
        body = typos(body, rng, 0.06)
    return {"is_client": True, "has_plan": rng.random() < 0.4, "subject": subject, "body": body,
            "expect": label, "lang": lang}


def generate() -> list[dict]:
    rng = random.Random(SEED)
    rows = [compose(label, "es" if rng.random() < 0.65 else "en", rng)
            for label, count in COUNTS.items() for _ in range(count)]
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    rows = generate()
    write_jsonl(OUT, rows)
    print(f"{len(rows)} requests written to {OUT}")
