"""The knowledge base's first articles, in Spanish and English, for a hosting company's clients.

`seed_load()` creates the categories and any article that is missing (matched by language
and slug) and leaves existing ones alone, so it can run on every start of the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from xuala.kb import services
from xuala.kb.models import Article, Category, Language


@dataclass(frozen=True)
class Text:
    slug: str
    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class Entry:
    category: str
    position: int
    es: Text
    en: Text


CATEGORIES = [
    # slug, Spanish name, English name
    ("correo", "Correo electrónico", "E-mail"),
    ("dominios-y-dns", "Dominios y DNS", "Domains and DNS"),
    ("seguridad-y-copias", "Seguridad y copias de seguridad", "Security and backups"),
    ("planes", "Planes de cobertura técnica", "Technical coverage plans"),
    ("asistencia", "Cómo trabajamos con usted", "Working with us"),
]
# The policy article is listed in this category once the seed has run.
POLICY_CATEGORY = "asistencia"

ENTRIES = [
    Entry("correo", 1, Text(
        "configurar-correo-outlook-thunderbird",
        "Configurar su correo en Outlook o Thunderbird",
        "Los datos del servidor (IMAP y SMTP) para leer y enviar el correo de su dominio "
        "desde un programa de correo.",
        """\
Puede leer y enviar el correo de su dominio desde cualquier programa de correo. Estos son los
datos que el programa le pedirá:

| Dato | Valor |
|---|---|
| Usuario | su dirección completa, por ejemplo `ana@sudominio.es` |
| Contraseña | la de esa cuenta de correo |
| Servidor entrante (IMAP) | `mail.sudominio.es`, puerto **993**, SSL/TLS |
| Servidor saliente (SMTP) | `mail.sudominio.es`, puerto **465** (SSL/TLS) o **587** (STARTTLS) |
| Autenticación SMTP | sí, con el mismo usuario y contraseña |

Cambie `sudominio.es` por su propio dominio. Si su dominio todavía no apunta a Xuala Cloud,
use el nombre del servidor que figura en su Área de Cliente.

## Outlook

1. Abra **Archivo › Agregar cuenta** y escriba su dirección.
2. Pulse **Opciones avanzadas**, marque **Permitirme configurar manualmente mi cuenta** y elija
   **IMAP**.
3. Escriba los servidores, puertos y cifrado de la tabla y pulse **Siguiente**.
4. Escriba la contraseña y termine.

## Thunderbird

1. Abra **Configuración de cuentas › Acciones de cuenta › Añadir cuenta de correo**.
2. Escriba su nombre, dirección y contraseña y pulse **Configurar manualmente**.
3. Rellene el servidor entrante (IMAP) y el saliente (SMTP) con los datos de la tabla;
   en autenticación elija **Contraseña normal**.
4. Pulse **Hecho**.

## Si no funciona

- Compruebe que el usuario es la dirección **completa** y que la contraseña es la correcta.
- Si el antivirus o el cortafuegos de su equipo analiza el correo, pruebe a desactivar esa
  función: a menudo bloquea los puertos 465 y 587.
- Nuestra asistencia cubre que el correo funcione en el servidor. La configuración de su
  ordenador, de su red o de su programa de correo queda fuera de nuestra cobertura
  (apartado 6.1 de nuestras
  [Políticas de Asistencia Técnica](/kb/politicas-de-asistencia-tecnica/)). Si sospecha
  que el fallo está en el servidor, abra una solicitud indicando el mensaje de error exacto.
"""), Text(
        "set-up-mail-in-outlook-or-thunderbird",
        "Set up your mail in Outlook or Thunderbird",
        "The server settings (IMAP and SMTP) to read and send your domain's mail from a "
        "mail program.",
        """\
You can read and send your domain's mail from any mail program. These are the settings it
will ask for:

| Setting | Value |
|---|---|
| User name | your full address, for example `ana@yourdomain.com` |
| Password | the password of that mailbox |
| Incoming server (IMAP) | `mail.yourdomain.com`, port **993**, SSL/TLS |
| Outgoing server (SMTP) | `mail.yourdomain.com`, port **465** (SSL/TLS) or **587** (STARTTLS) |
| SMTP authentication | yes, with the same user name and password |

Replace `yourdomain.com` with your own domain. If your domain does not point to Xuala Cloud
yet, use the server name shown in your Client Area.

## Outlook

1. Open **File › Add account** and type your address.
2. Click **Advanced options**, tick **Let me set up my account manually** and choose **IMAP**.
3. Enter the servers, ports and encryption from the table and click **Next**.
4. Enter your password and finish.

## Thunderbird

1. Open **Account Settings › Account Actions › Add Mail Account**.
2. Enter your name, address and password and click **Configure manually**.
3. Fill in the incoming (IMAP) and outgoing (SMTP) servers from the table; for
   authentication choose **Normal password**.
4. Click **Done**.

## If it does not work

- Check that the user name is the **full** address and that the password is right.
- If your computer's antivirus or firewall scans mail, try turning that feature off: it often
  blocks ports 465 and 587.
- Our support covers mail working on the server. The set-up of your computer, your network or
  your mail program is outside our cover (section 6.1 of our
  [Technical Support Policy](/en/kb/politicas-de-asistencia-tecnica/)). If you think the fault
  is on the server, open a request quoting the exact error message.
""")),
    Entry("dominios-y-dns", 1, Text(
        "apuntar-dominio-a-xuala-cloud",
        "Apuntar los DNS de su dominio a Xuala Cloud",
        "Qué registros cambiar (A, CNAME y MX) para que su web y su correo funcionen en "
        "nuestros servidores, y cuánto tarda.",
        """\
Para que su web y su correo se sirvan desde Xuala Cloud, el dominio debe apuntar a nuestros
servidores. Hay dos formas de hacerlo, en el panel de la empresa donde registró el dominio.

## Opción 1: usar nuestros servidores de nombres (recomendada)

Cambie los servidores de nombres (DNS) del dominio por los que figuran en su Área de Cliente,
junto al servicio de alojamiento. Así nosotros mantenemos todos los registros por usted.

## Opción 2: mantener sus DNS y cambiar los registros

Si prefiere seguir gestionando los DNS en otro proveedor, cree o cambie estos registros
(la dirección IP de su servidor figura en su Área de Cliente):

| Tipo | Nombre | Valor |
|---|---|---|
| A | `@` (el dominio) | la IP de su servidor |
| CNAME | `www` | `sudominio.es.` |
| MX | `@` | `mail.sudominio.es.`, prioridad 10 |
| A | `mail` | la IP de su servidor de correo |
| TXT | `@` | el registro SPF que figura en su Área de Cliente |

## Cuánto tarda

Los cambios se propagan según el TTL de cada registro: normalmente en menos de una hora, y
hasta 48 horas en algunos proveedores. Mientras tanto, unos visitantes verán el servidor
anterior y otros el nuevo.

Cuando el dominio apunte a Xuala Cloud, el certificado de seguridad se instala solo
(vea «Instalar o renovar un certificado Let's Encrypt»).
"""), Text(
        "point-your-domain-to-xuala-cloud",
        "Point your domain's DNS to Xuala Cloud",
        "Which records to change (A, CNAME and MX) so that your website and mail work on "
        "our servers, and how long it takes.",
        """\
For your website and mail to be served by Xuala Cloud, the domain must point to our servers.
There are two ways to do it, in the control panel of the company where you registered the
domain.

## Option 1: use our name servers (recommended)

Change the domain's name servers (DNS) to the ones shown in your Client Area next to the
hosting service. We then keep every record for you.

## Option 2: keep your DNS and change the records

If you prefer to keep managing the DNS elsewhere, create or change these records (your
server's IP address is shown in your Client Area):

| Type | Name | Value |
|---|---|---|
| A | `@` (the domain) | your server's IP address |
| CNAME | `www` | `yourdomain.com.` |
| MX | `@` | `mail.yourdomain.com.`, priority 10 |
| A | `mail` | your mail server's IP address |
| TXT | `@` | the SPF record shown in your Client Area |

## How long it takes

Changes spread according to each record's TTL: usually within an hour, and up to 48 hours
with some providers. Meanwhile some visitors see the old server and others the new one.

Once the domain points to Xuala Cloud, the security certificate is installed automatically
(see "Install or renew a Let's Encrypt certificate").
""")),
    Entry("seguridad-y-copias", 1, Text(
        "certificado-lets-encrypt",
        "Instalar o renovar un certificado Let's Encrypt",
        "Cómo se instala y se renueva el certificado gratuito que protege su web con HTTPS, "
        "y qué hacer si el navegador avisa de que ha caducado.",
        """\
Todas las webs alojadas en Xuala Cloud pueden usar un certificado gratuito de
**Let's Encrypt**, que permite visitar su web con `https://` y el candado del navegador.

## Instalación

El certificado se solicita automáticamente cuando el dominio (y su `www`) apunta a nuestros
servidores. Si su web todavía no lo tiene, abra una solicitud indicando los dominios que debe
cubrir, por ejemplo `sudominio.es` y `www.sudominio.es`.

## Renovación

Los certificados de Let's Encrypt duran 90 días. Los renovamos automáticamente unos 30 días
antes de que caduquen; no tiene que hacer nada.

## Si el navegador avisa de que el certificado ha caducado

La renovación falla casi siempre por una de estas causas:

1. **El dominio ya no apunta a Xuala Cloud.** Compruebe los registros A y CNAME
   (vea «Apuntar los DNS de su dominio a Xuala Cloud»).
2. **Una regla bloquea la comprobación.** Let's Encrypt visita
   `http://sudominio.es/.well-known/acme-challenge/`: una redirección, un plugin de seguridad o
   una regla del `.htaccess` que bloquee esa dirección impide la renovación.
3. **Un registro CAA** del dominio no autoriza a `letsencrypt.org`.

Corregida la causa, abra una solicitud y lo renovaremos en el momento. Si tiene un plan de
cobertura, Online Sentry ya nos habrá avisado antes de que el certificado caduque.
"""), Text(
        "lets-encrypt-certificate",
        "Install or renew a Let's Encrypt certificate",
        "How the free certificate that protects your website with HTTPS is installed and "
        "renewed, and what to do if the browser says it has expired.",
        """\
Every website hosted on Xuala Cloud can use a free **Let's Encrypt** certificate, so that it
can be visited with `https://` and the browser's padlock.

## Installation

The certificate is requested automatically once the domain (and its `www`) points to our
servers. If your website does not have one yet, open a request listing the domains it must
cover, for example `yourdomain.com` and `www.yourdomain.com`.

## Renewal

Let's Encrypt certificates last 90 days. We renew them automatically about 30 days before
they expire; you do not need to do anything.

## If the browser says the certificate has expired

Renewal almost always fails for one of these reasons:

1. **The domain no longer points to Xuala Cloud.** Check the A and CNAME records
   (see "Point your domain's DNS to Xuala Cloud").
2. **A rule blocks the check.** Let's Encrypt visits
   `http://yourdomain.com/.well-known/acme-challenge/`: a redirect, a security plugin or an
   `.htaccess` rule that blocks that address stops the renewal.
3. **A CAA record** on the domain does not allow `letsencrypt.org`.

Once the cause is fixed, open a request and we will renew it straight away. If you have a
coverage plan, Online Sentry will already have warned us before the certificate expired.
""")),
    Entry("seguridad-y-copias", 2, Text(
        "restaurar-copia-de-seguridad",
        "Restaurar una copia de seguridad",
        "Cómo pedirnos que recuperemos archivos, una base de datos o un buzón de correo de "
        "una copia de seguridad, y qué datos necesitamos.",
        """\
Guardamos copias de seguridad de los servicios alojados en Xuala Cloud. Si ha borrado algo por
error, una actualización ha estropeado su web o necesita volver a un estado anterior, podemos
restaurarlo.

## Cómo pedirlo

Abra una solicitud desde su Área de Cliente (tipo «Alojamiento, dominio o servidor») e indique:

- **Qué** hay que recuperar: toda la web, unos archivos o carpetas concretos, la base de datos
  o un buzón de correo.
- **De qué momento**: la fecha y hora aproximadas en que todo estaba bien.
- **Dónde**: si debemos **sobrescribir** lo actual o dejar la copia en una carpeta aparte para
  que usted la revise.

## Antes de sobrescribir

Restaurar una web completa sustituye también los cambios posteriores a la copia (pedidos,
comentarios, usuarios nuevos). Si su web recibe pedidos, le recomendamos restaurar en una
carpeta aparte y recuperar solo lo necesario. Siempre le confirmaremos qué vamos a hacer antes
de sobrescribir nada.

## Con un plan de cobertura

Los planes de cobertura técnica hacen una copia antes de cada actualización de los martes; si
una actualización rompe la web, la revisamos con urgencia y volvemos a la copia si hace falta.
"""), Text(
        "restore-a-backup",
        "Restore a backup",
        "How to ask us to recover files, a database or a mailbox from a backup, and what we "
        "need to know.",
        """\
We keep backups of the services hosted on Xuala Cloud. If you deleted something by mistake,
an update broke your website or you need to go back to an earlier state, we can restore it.

## How to ask

Open a request from your Client Area (kind "Hosting, domain or server") and tell us:

- **What** to recover: the whole website, particular files or folders, the database or a
  mailbox.
- **From when**: the approximate date and time when everything was fine.
- **Where**: whether we should **overwrite** what is there now or put the copy in a separate
  folder for you to check.

## Before overwriting

Restoring a whole website also replaces the changes made after the backup (orders, comments,
new users). If your website takes orders, we advise restoring into a separate folder and
recovering only what is needed. We always confirm what we are going to do before overwriting
anything.

## With a coverage plan

Technical coverage plans take a backup before each Tuesday update; if an update breaks the
website, we review it urgently and go back to the backup if needed.
""")),
    Entry("planes", 1, Text(
        "que-comprueba-online-sentry",
        "Qué comprueba Online Sentry",
        "El vigilante de los planes de cobertura revisa su web cada minuto, día y noche, y "
        "nos avisa con un informe detallado cuando algo falla.",
        """\
**Online Sentry®** está incluido en nuestros planes de cobertura técnica. Visita su web o su
tienda **cada minuto, las 24 horas, todos los días**, como lo haría un cliente, y comprueba:

- que el **nombre** del dominio se resuelve;
- que el servidor **acepta la conexión** y responde a tiempo;
- que el **certificado de seguridad** es válido y no está a punto de caducar;
- que la página responde con un **código correcto** (no un error 500 o 503) tras seguir las
  redirecciones;
- si se ha configurado, que la página **contiene un texto** concreto (por ejemplo, el nombre
  de su tienda), lo que detecta páginas en blanco o sustituidas;
- que la respuesta no es **demasiado lenta**.

## Cuando algo falla

Un fallo aislado no basta: Online Sentry lo **confirma** con nuevas comprobaciones para no dar
falsas alarmas. Confirmado el problema, abre una incidencia y una solicitud urgente con un
**informe detallado** (qué falló, dónde, desde cuándo y las pruebas de cada comprobación) y
avisa a nuestro equipo, también en fin de semana. Cuando la web vuelve a responder, la
incidencia se cierra con el tiempo total de caída.
"""), Text(
        "what-online-sentry-checks",
        "What Online Sentry checks",
        "The coverage plans' watchman checks your website every minute, day and night, and "
        "alerts us with a detailed report when something fails.",
        """\
**Online Sentry®** is included in our technical coverage plans. It visits your website or shop
**every minute, 24 hours a day, every day**, as a customer would, and checks:

- that the domain **name** resolves;
- that the server **accepts the connection** and answers in time;
- that the **security certificate** is valid and not about to expire;
- that the page answers with a **good status code** (not a 500 or 503 error) after following
  redirects;
- if set up, that the page **contains a given text** (for example, your shop's name), which
  catches blank or replaced pages;
- that the answer is not **too slow**.

## When something fails

One failure is not enough: Online Sentry **confirms** it with further checks to avoid false
alarms. Once the problem is confirmed, it opens an incident and an urgent request with a
**detailed report** (what failed, where, since when, and the evidence of each check) and
alerts our team, at weekends too. When the website answers again, the incident is closed with
the total downtime.
""")),
    Entry("asistencia", 2, Text(
        "como-pedir-un-presupuesto",
        "Cómo pedir un presupuesto",
        "Los cambios, mejoras o ampliaciones con coste se presupuestan antes: así lo pide, lo "
        "revisa y lo acepta desde su Área de Cliente.",
        """\
Si necesita un cambio, una mejora o una ampliación de su servicio que tenga un coste extra
(un componente con licencia, una ampliación del alojamiento, un trabajo a medida), primero le
enviamos un **presupuesto**, y empezamos solo cuando usted lo acepta.

## Cómo pedirlo

1. En su Área de Cliente, abra una **nueva solicitud** y elija el tipo «Un cambio, mejora o
   ampliación con coste».
2. Describa qué necesita y, si lo sabe, el plazo que le conviene.

## El presupuesto

Recibirá el presupuesto por correo y lo verá también en su Área de Cliente. Detalla cada
concepto con su cantidad y precio, si es un pago único o periódico, los impuestos (IVA) y la
**fecha de validez**. Puede descargarlo en PDF.

## Aceptarlo o rechazarlo

- Para **aceptarlo**, ábralo en su Área de Cliente, lea las condiciones, marque la casilla y
  pulse «Aceptar». Registramos quién lo aceptó y cuándo, y el trabajo se pone en marcha.
- Si no le interesa, puede **rechazarlo** indicando el motivo; no tendrá ningún coste.

Mientras el presupuesto espera su respuesta, el plazo de respuesta de la solicitud queda en
pausa. Un presupuesto caducado ya no se puede aceptar: pídanos uno nuevo.
"""), Text(
        "how-to-ask-for-a-quote",
        "How to ask for a quote",
        "Changes, improvements or upgrades that cost extra are quoted first: how to ask for "
        "a quote, review it and accept it in your Client Area.",
        """\
If you need a change, an improvement or an upgrade of your service that costs extra (a
licensed component, a hosting upgrade, custom work), we first send you a **quote**, and start
only once you accept it.

## How to ask

1. In your Client Area, open a **new request** and choose the kind "A change, improvement or
   upgrade that costs extra".
2. Describe what you need and, if you know it, when you need it.

## The quote

You receive the quote by e-mail and also see it in your Client Area. It lists each item with
its quantity and price, whether it is a one-off or recurring payment, the taxes (VAT) and the
**valid-until date**. You can download it as a PDF.

## Accept or reject it

- To **accept** it, open it in your Client Area, read the terms, tick the box and click
  "Accept". We record who accepted it and when, and the work gets going.
- If it does not suit you, you can **reject** it with a reason; it costs you nothing.

While the quote waits for your answer, the request's response clock is paused. An expired
quote can no longer be accepted: ask us for a new one.
""")),
    Entry("asistencia", 3, Text(
        "reservar-reunion-asistencia-personal",
        "Reservar una reunión de asistencia personal",
        "El teléfono no es para asistencia técnica: si necesita ayuda en persona, pida una "
        "reunión virtual y elija el día y la hora.",
        """\
Nuestro teléfono de atención al cliente no está pensado para asistencia técnica. Si necesita
que le atendamos **en persona**, le ofrecemos una **reunión virtual** (videollamada) en un día
y a una hora que convengan a ambas partes.

## Cómo pedirla

- Escriba a nuestra dirección de asistencia pidiendo una reunión, o
- abra una solicitud en su Área de Cliente y elija el tipo «Quiero asistencia personal
  (reunión virtual)».

Cuéntenos brevemente el tema, para que acuda a la reunión la persona adecuada.

## Elegir el momento

Le ofreceremos los próximos huecos libres, siempre dentro de nuestro horario de atención. Elija
uno desde su Área de Cliente o, si ninguno le viene bien, propónganos otros. Cuando lo
confirmemos recibirá una **invitación de calendario** con el enlace de la videollamada; solo
necesita un navegador.

## Cambiar o cancelar

Si no puede asistir, avísenos desde la misma solicitud: le enviaremos la invitación
actualizada o la cancelación, y recibirá un recordatorio antes de la reunión.
"""), Text(
        "book-a-personal-help-meeting",
        "Book a personal-help meeting",
        "The phone is not for technical support: if you need personal help, ask for a "
        "virtual meeting and pick the day and time.",
        """\
Our customer service phone is not meant for technical support. If you need us to help you
**in person**, we offer a **virtual meeting** (video call) on a day and at a time that suit
both sides.

## How to ask

- Write to our support address asking for a meeting, or
- open a request in your Client Area and choose the kind "I want personal help (virtual
  meeting)".

Tell us briefly what it is about, so that the right person joins the meeting.

## Choosing the time

We offer you the next free slots, always within our opening hours. Pick one in your Client
Area or, if none suits you, propose others. Once we confirm it you receive a **calendar
invitation** with the video-call link; a browser is all you need.

## Changing or cancelling

If you cannot make it, tell us in the same request: we send you the updated invitation or
the cancellation, and you get a reminder before the meeting.
""")),
]


@transaction.atomic
def seed_load() -> int:
    """Create the seed categories and articles that do not exist yet; returns how many
    articles were created."""
    categories = {}
    for position, (slug, name_es, name_en) in enumerate(CATEGORIES, start=1):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name_es": name_es, "name_en": name_en, "position": position})
    created = 0
    for entry in ENTRIES:
        originals: dict[str, Article] = {}
        for language in (Language.ES, Language.EN):
            text: Text = getattr(entry, language)
            article = Article.objects.filter(language=language, slug=text.slug).first()
            if article is None:
                article = services.article_save(article=Article(
                    language=language, slug=text.slug, title=text.title, summary=text.summary,
                    body=text.body, category=categories[entry.category],
                    position=entry.position, published=True,
                    translation_of=originals.get(Language.ES)))
                created += 1
            originals[language] = article
    for article in services.policy_articles_sync().values():
        if article.category_id is None:
            article.category = categories[POLICY_CATEGORY]
            article.position = 1
            services.article_save(article=article)
    return created
