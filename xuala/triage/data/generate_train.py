"""Writes train.jsonl: the labelled requests the triage model learns from.

Every request is composed here from hand-written templates (Spanish and English), filled
from word pools, and dressed in one writer's style (formal, hurried, angry, elderly,
technical), some with typos or without accents. Run from the repository root:

    python xuala/triage/data/generate_train.py

The held-apart test set has its own generator (bench/data/generate_test.py) with other
templates, pools and seeds; nothing here is shared with it but the mechanical helpers.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from xuala.triage.corpus import angry, fill, hurried, strip_accents, typos, write_jsonl

SEED = 20261204
TOTAL = 2000
OUT = Path(__file__).with_name("train.jsonl")

# Each label's share: roughly what a hosting company's desk receives.
SHARES = {
    "site_down": 0.12, "mail_server": 0.13, "mail_client": 0.10, "hosting": 0.12,
    "site_fault": 0.13, "paid_change": 0.08, "meeting": 0.05, "third_party": 0.08,
    "personal_computing": 0.06, "other": 0.08, "content_management": 0.02,
    "ecommerce_orders": 0.02, "customer_service": 0.01,
}
MINIMUM = 45  # every label gets at least this many examples

POOLS = {
    "domain": ["panaderiagarcia.es", "talleresmolina.com", "clinicadentalsol.es", "bodegasruiz.com",
               "academiaidiomas.net", "floristerialuna.es", "asesoriaperez.com", "hotelmirador.es",
               "ferreteriacentral.es", "modaelena.com", "fisiored.es", "granjaverde.org"],
    "mailbox": ["info@", "pedidos@", "administracion@", "maria@", "contabilidad@", "ventas@",
                "reservas@", "juan@"],
    "plugin": ["Elementor", "Contact Form 7", "Yoast SEO", "WPML", "Wordfence", "Revolution Slider",
               "WooCommerce Bookings", "Jetpack", "WP Rocket", "Divi Builder", "UpdraftPlus",
               "Mailpoet", "Redsys para WooCommerce"],
    "premium": ["WPML", "Elementor Pro", "WooCommerce Subscriptions", "Gravity Forms", "WP Rocket",
                "ACF Pro", "Divi", "Yoast SEO Premium", "WooCommerce Bookings"],
    "cms": ["WordPress", "WooCommerce", "PrestaShop", "Joomla", "la web", "la tienda"],
    "cms_en": ["WordPress", "WooCommerce", "PrestaShop", "Joomla", "the site", "the shop"],
    "bigco": ["Gmail", "Hotmail", "Outlook.com", "Yahoo", "Telefónica", "Movistar", "Amazon",
              "Vodafone", "Orange", "iCloud"],
    "third": ["Shopify", "Wix", "Mailchimp", "Google Workspace", "Stripe", "PayPal", "Instagram",
              "Facebook", "Google Ads", "Squarespace", "Canva", "Zoom", "Dropbox", "Calendly",
              "HubSpot", "Booking.com", "Holded", "Trello", "Amazon Seller Central", "WhatsApp Business",
              "Google My Business", "Office 365", "GoDaddy", "Tiendanube"],
    "device": ["iPhone", "móvil Android", "iPad", "portátil", "ordenador de la oficina",
               "Samsung", "Mac"],
    "device_en": ["iPhone", "Android phone", "iPad", "laptop", "office computer", "Samsung", "Mac"],
    "mailapp": ["Outlook", "Thunderbird", "Apple Mail", "la app de correo del móvil", "Mail de Windows"],
    "mailapp_en": ["Outlook", "Thunderbird", "Apple Mail", "the phone's mail app", "Windows Mail"],
    "when": ["desde esta mañana", "desde ayer", "hace una hora", "desde el lunes", "desde anoche",
             "desde hace diez minutos"],
    "when_en": ["since this morning", "since yesterday", "for an hour", "since Monday",
                "since last night", "for ten minutes"],
    "code": ["500", "502", "503", "504"],
    "name": ["Carmen", "José Luis", "Ana Belén", "Paco", "Mercedes", "Jorge", "Lucía", "Antonio",
             "Pilar", "Raúl", "Sara", "Emilio"],
    "name_en": ["John", "Sarah", "Peter", "Emma", "Michael", "Linda", "Tom", "Rachel"],
}

# label -> language -> (subjects, bodies). Bodies are one or more sentences with slots.
T: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "site_down": {
        "es": (["Web caída", "La web no carga", "URGENTE web caída", "No funciona la página",
                "Servidor caído", "No se puede acceder a {domain}", "Todo caído", "Caída"],
               ["La web {domain} no carga {when}, sale que el servidor no responde.",
                "No funciona ninguna de nuestras webs, ni {domain} ni el resto, {when}.",
                "La página está caída {when} y estamos perdiendo ventas.",
                "Al entrar en {domain} sale error {code} en todas las páginas, también en la portada.",
                "El servidor no responde, no carga nada: ni la web ni el panel.",
                "La tienda online no abre, el navegador dice que tarda demasiado en responder.",
                "Nuestra web no funciona {when}, sale una pantalla de tiempo de espera agotado.",
                "No carga la web, ni desde el móvil ni desde el ordenador ni desde casa de mi hermana.",
                "Todas las webs del servidor están caídas, no cargan.",
                "La web está caída otra vez, sale 'Service Unavailable'.",
                "Nuestros clientes nos llaman diciendo que la web no carga {when}.",
                "Está todo caído: la web, el correo web, todo.",
                "No se puede entrar en {domain}, se queda cargando y al final da error de conexión.",
                "Creo que se ha caído el servidor porque ninguna página carga."]),
        "en": (["Site down", "Website down", "URGENT: site not loading", "Server down",
                "{domain} unreachable", "Everything is down"],
               ["Our website {domain} has been down {when}, the server does not respond.",
                "None of our sites load, {domain} and the rest are all down.",
                "The site is not loading at all, we get error {code} on every page.",
                "The server seems to be down: the website and the control panel time out.",
                "Customers tell us the shop is unreachable {when}.",
                "Connection timed out when opening {domain}, from every network we tried.",
                "Website down again, 'Service Unavailable' on every page, we are losing orders.",
                "All sites on our server stopped responding {when}."]),
    },
    "mail_server": {
        "es": (["No recibo correos", "Los correos rebotan", "Problema con el correo",
                "No puedo enviar correos", "Correo {mailbox}{domain}", "Emails devueltos"],
               ["No recibimos correos en {mailbox}{domain} {when}.",
                "Los correos que enviamos a clientes de {bigco} rebotan con un error de entrega.",
                "Los mensajes que mandamos a {bigco} acaban todos en spam o rebotan, y antes no pasaba.",
                "{bigco} nos devuelve los correos diciendo que nuestro servidor está en una lista negra.",
                "Un cliente que usa {bigco} dice que no le llegan nuestros presupuestos desde {mailbox}{domain}.",
                "No puedo enviar correos desde {mailbox}{domain}, el servidor los rechaza a todos los destinatarios.",
                "Nos rebotan los correos con el mensaje 'mailbox full' pero el buzón está casi vacío.",
                "Los correos que nos envían desde {bigco} no llegan a nuestro buzón.",
                "El correo {mailbox}{domain} no recibe nada {when}, ni siquiera en el webmail.",
                "Desde el webmail tampoco puedo enviar, se queda el mensaje en la bandeja de salida del servidor.",
                "Nos dicen los proveedores que les rebotan los correos que nos mandan.",
                "Los correos tardan horas en llegar o no llegan, también mirando desde el webmail.",
                "Nos llegan avisos de entrega fallida de todos los correos enviados a {bigco}.",
                "Nuestros clientes que tienen correo de {bigco} dicen que no les llega nada de lo que les mandamos.",
                "Los destinatarios con dirección de {bigco} no reciben nuestros presupuestos; a los demás sí les llegan.",
                "A la gente con cuenta de {bigco} no le llegan nuestras facturas, se quedan por el camino."]),
        "en": (["Not receiving mail", "Emails bouncing", "Mail problem", "Cannot send mail",
                "Mail to {bigco} bounced"],
               ["We are not receiving mail at {mailbox}{domain} {when}.",
                "Every message we send to {bigco} addresses bounces back with a delivery error.",
                "{bigco} rejects our mail saying our server is on a blacklist.",
                "A customer on {bigco} says our invoices from {mailbox}{domain} never arrive.",
                "Mail sent to us from {bigco} never reaches our mailbox, not even in webmail.",
                "I cannot send mail from {mailbox}{domain}; the server rejects every recipient.",
                "Our suppliers say their emails to us bounce with 'user unknown'.",
                "Customers with {bigco} accounts never get our invoices, others do.",
                "People on {bigco} tell us nothing we send reaches them."]),
    },
    "mail_client": {
        "es": (["Configurar correo", "Outlook no funciona", "Correo en el móvil",
                "Thunderbird pide contraseña", "No me sale el correo en el {device}"],
               ["No consigo configurar el correo {mailbox}{domain} en {mailapp}.",
                "{mailapp} me pide la contraseña una y otra vez aunque la pongo bien.",
                "Me he comprado un {device} nuevo y no sé configurar el correo, ¿qué servidor pongo?",
                "En el webmail funciona bien pero en {mailapp} no me llegan los correos.",
                "{mailapp} dice que no puede verificar la identidad del servidor.",
                "Quiero configurar el correo en mi {device}, ¿qué puertos uso para IMAP y SMTP?",
                "Se me ha llenado el archivo de datos de Outlook y no se abre.",
                "He cambiado de ordenador y al pasar el correo a {mailapp} no aparecen las carpetas.",
                "La firma de {mailapp} no sale bien y las carpetas no se sincronizan en el {device}."]),
        "en": (["Set up mail", "Outlook problem", "Mail on my phone", "Thunderbird password"],
               ["I cannot set up {mailbox}{domain} in {mailapp_en}.",
                "{mailapp_en} keeps asking for my password even though it is right.",
                "I got a new {device_en}; which server settings do I use for my mail?",
                "Webmail works but {mailapp_en} does not download new messages.",
                "{mailapp_en} says the server certificate cannot be verified.",
                "How do I set up my phone to read the company mail? Which IMAP port?",
                "What settings do I enter to read {mailbox}{domain} on my {device_en}?",
                "Outlook on my desktop stopped syncing the inbox although webmail is fine."]),
    },
    "hosting": {
        "es": (["DNS", "Dominio", "Certificado SSL", "Acceso FTP", "Copia de seguridad",
                "Versión de PHP", "Espacio en disco", "Base de datos"],
               ["Necesito cambiar los registros DNS de {domain} para apuntar a otra IP.",
                "El certificado SSL de {domain} ha caducado y el navegador avisa de sitio no seguro.",
                "No puedo entrar por FTP, me dice credenciales incorrectas.",
                "¿Podéis restaurar la copia de seguridad de ayer de {domain}?",
                "¿Cuándo vence el dominio {domain}? Quiero renovarlo.",
                "Necesito acceso a phpMyAdmin para revisar la base de datos.",
                "¿Podéis subir la versión de PHP del alojamiento a la 8.2?",
                "El panel dice que el espacio en disco está al 95 %, ¿qué ocupa tanto?",
                "Queremos añadir un registro TXT para verificar el dominio.",
                "Quiero transferir el dominio {domain} a vuestro servidor.",
                "Necesito un usuario FTP nuevo para el diseñador.",
                "¿Cómo programo una tarea cron en el alojamiento?",
                "Quiero crear un subdominio tienda.{domain}.",
                "El https no funciona en www.{domain}, solo sin www, creo que falta el certificado."]),
        "en": (["DNS change", "Domain renewal", "SSL certificate", "FTP access", "Backup restore",
                "PHP version"],
               ["Please change the DNS A record of {domain} to a new IP.",
                "The SSL certificate of {domain} expired and browsers show a warning.",
                "I cannot log in over FTP; it says wrong credentials.",
                "Could you restore yesterday's backup of {domain}?",
                "When does the domain {domain} expire? I want to renew it.",
                "Can you switch the hosting to PHP 8.2?",
                "Disk usage is at 95 %, what is taking the space?",
                "I need a TXT record added to verify the domain."]),
    },
    "site_fault": {
        "es": (["Error en la web", "Fallo del plugin", "Problema con {cms}", "La pasarela de pago falla",
                "Formulario de contacto", "Error tras actualizar", "Página en blanco"],
               ["Después de actualizar el plugin {plugin} la web muestra 'Ha habido un error crítico en esta web'.",
                "El formulario de contacto de {domain} no envía los mensajes.",
                "La pasarela de pago (TPV de Redsys) da error al pagar con tarjeta.",
                "Al actualizar el tema la portada se ve descolocada y el menú ha desaparecido.",
                "En la tienda {cms} los clientes no pueden terminar el pedido, el carrito se vacía.",
                "La página de contacto da error 500 desde que instalé {plugin}, el resto de la web va bien.",
                "El panel de administración de WordPress se queda en blanco pero la web pública funciona.",
                "Las imágenes de los productos no se ven en la tienda, salen cuadros vacíos.",
                "Un plugin se ha actualizado solo y ahora el slider de la portada no sale.",
                "Una página concreta sale en blanco; las demás funcionan.",
                "El buscador de la web no devuelve resultados y antes sí.",
                "En PrestaShop no se calculan bien los gastos de envío en el carrito.",
                "La web se ve mal en el móvil desde la última actualización de la plantilla.",
                "Al pagar con Bizum en la tienda sale un error y el pedido no se completa.",
                "La web da error 500 solo al entrar en el blog, desde que actualicé {plugin}."]),
        "en": (["Website error", "Plugin broke the site", "Payment gateway failing", "Contact form",
                "Error after update", "White screen"],
               ["After updating {plugin} the site shows 'There has been a critical error on this website'.",
                "The contact form on {domain} does not send messages.",
                "The payment gateway gives an error at checkout and orders are not completed.",
                "Since the theme update the home page layout is broken.",
                "The product images on the shop do not show up any more.",
                "The WordPress admin shows a white screen but the public site works.",
                "Only the blog page throws error 500 since I installed {plugin}; the rest works.",
                "In our shop the checkout button does nothing when customers click it.",
                "The card payment step of the shop fails and buyers cannot pay.",
                "The menu and header look broken since we changed the theme."]),
    },
    "paid_change": {
        "es": (["Presupuesto", "Ampliación", "Nueva funcionalidad", "Licencia del plugin",
                "Mejora de la web", "Queremos ampliar"],
               ["Queremos instalar {premium}, que necesita una licencia de pago. ¿Nos lo instaláis?",
                "Me gustaría añadir una sección nueva de reservas a la web, ¿cuánto costaría?",
                "Necesitamos ampliar el espacio del alojamiento y más cuentas de correo.",
                "¿Nos podéis pasar presupuesto para hacer la web multidioma?",
                "Queremos una nueva funcionalidad: que los clientes puedan descargar sus facturas.",
                "He comprado la licencia de {premium} y quiero que la activéis e instaléis en la web.",
                "Queremos pasar a un servidor más potente, ¿qué opciones y precios hay?",
                "¿Cuánto costaría rediseñar la portada con un estilo más moderno?",
                "Quiero añadir el plugin {premium} pero pide licencia, ¿me lo gestionáis y me decís el coste?",
                "Queremos integrar la tienda con nuestro programa de facturación, ¿qué precio tendría?",
                "Necesitamos una mejora en el catálogo para filtrar productos por talla y color.",
                "El plan se nos ha quedado pequeño, necesitamos más almacenamiento y más buzones.",
                "¿Qué costaría crear una zona privada para socios en la web?"]),
        "en": (["Quote request", "Upgrade", "New feature", "Plugin licence", "Improvement"],
               ["We want {premium} installed; it needs a paid licence. Can you do it and how much?",
                "Could you quote a new booking section for the website?",
                "We need to upgrade the hosting: more disk space and more mailboxes.",
                "How much would it cost to make the site multilingual?",
                "I bought a {premium} license, please install and activate it on the site.",
                "We would like a new feature so customers can download their invoices.",
                "Our plan is too small now; we need more storage and extra mailboxes.",
                "What would a members-only area on the website cost?",
                "We need a bigger hosting plan with more space, please send prices."]),
    },
    "meeting": {
        "es": (["Llamadme por favor", "Quiero una reunión", "Videollamada", "Asistencia personal",
                "¿Me podéis llamar?"],
               ["¿Me podéis llamar por teléfono? Prefiero explicarlo hablando.",
                "Quisiera una videollamada para que me enseñéis a usar el panel.",
                "¿Podemos tener una reunión esta semana para repasar la web?",
                "Necesito que alguien me atienda en persona o por videollamada, por escrito no me aclaro.",
                "Llamadme al móvil cuando podáis, es más fácil que escribir.",
                "Me gustaría concertar una cita con un técnico para revisar juntos la configuración.",
                "¿Tenéis algún hueco para una reunión por Zoom o Meet?",
                "¿Podría un técnico llamarme? Escribiendo me lío.",
                "Prefiero hablar con una persona, ¿me dais un toque al teléfono?"]),
        "en": (["Please call me", "Meeting request", "Video call", "Personal help"],
               ["Could someone call me? It is easier to explain on the phone.",
                "I would like a video call to go through the control panel together.",
                "Can we schedule a meeting this week to review the site?",
                "Please phone me back when you can.",
                "I need personal help, can we book a session with a technician?",
                "Could a technician give me a ring? I get lost writing it down.",
                "I would rather talk to a person; can someone give me a call?",
                "Can we set up a short online meeting to look at it together?"]),
    },
    "third_party": {
        "es": (["Problema con {third}", "Ayuda con {third}", "Consulta {third}", "Mi cuenta de {third}"],
               ["Tengo un problema con mi cuenta de {third}, no me deja entrar.",
                "¿Me podéis ayudar a configurar {third}? Lo usamos para el negocio.",
                "En {third} no se me sincronizan los datos, ¿sabéis por qué?",
                "Me han hackeado la cuenta de {third}, ¿qué hago?",
                "Mi tienda está en {third} y no me funcionan los pagos.",
                "No sé cómo cambiar la contraseña de {third}.",
                "La plataforma {third} me cobra de más, ¿podéis mirarlo?",
                "Quiero conectar {third} con mi móvil y no sé cómo.",
                "Se me ha bloqueado la página de empresa en {third}.",
                "El soporte de {third} no me contesta, ¿me podéis ayudar vosotros con su panel?",
                "Mi correo personal de Gmail no recibe nada, ¿lo podéis revisar?",
                "Tengo la web hecha con Wix y quiero cambiar el diseño, ¿me ayudáis?"]),
        "en": (["Problem with {third}", "Help with {third}", "My {third} account"],
               ["I cannot log in to my {third} account.",
                "Could you help me set up {third} for my business?",
                "My {third} data is not syncing, any idea why?",
                "Someone hacked my {third} account, what should I do?",
                "My store runs on {third} and payments fail there.",
                "{third} support does not answer, can you help me with their dashboard?",
                "My personal Gmail stopped receiving messages, can you check it?"]),
    },
    "personal_computing": {
        "es": (["Ordenador lento", "Impresora", "Wifi", "Virus en mi ordenador", "Windows",
                "Problema con el Mac", "Router"],
               ["Mi ordenador va muy lento desde la última actualización de Windows.",
                "La impresora de la oficina no imprime desde el portátil.",
                "El wifi de casa se corta cada poco, ¿me podéis ayudar?",
                "Creo que tengo un virus en el ordenador, salen ventanas raras.",
                "No me arranca el portátil, se queda la pantalla negra.",
                "El Mac no reconoce el disco duro externo.",
                "He cambiado el router y ahora el ordenador no se conecta a internet.",
                "Windows me pide activar la licencia y no sé dónde está.",
                "Se me ha roto la pantalla del portátil, ¿lo arregláis?"]),
        "en": (["Slow computer", "Printer", "Wifi problem", "Virus on my PC", "Mac issue"],
               ["My computer has been very slow since the last Windows update.",
                "The office printer does not print from my laptop.",
                "Our wifi keeps dropping, can you help?",
                "I think my PC has a virus, strange pop-ups keep appearing.",
                "My Mac will not boot, the screen stays black.",
                "The new router does not let my laptop connect to the internet."]),
    },
    "other": {
        "es": (["Consulta", "Factura", "Duda sobre el contrato", "Datos de contacto",
                "Pregunta", "Gracias", "Una duda", "Necesito ayuda", "Consulta sobre mi cuenta",
                "Pregunta rápida"],
               ["¿Me podéis enviar la factura del último trimestre?",
                "¿Cuándo se renueva nuestro contrato de alojamiento?",
                "Quería cambiar la persona de contacto de la empresa.",
                "¿Qué incluye exactamente el servicio que tenemos contratado?",
                "Solo quería daros las gracias por la ayuda de ayer.",
                "¿Cuál es vuestro horario de atención?",
                "Hemos cambiado de dirección fiscal, ¿dónde lo actualizo?",
                "¿Puedo pagar las facturas por transferencia en vez de domiciliación?",
                "¿En qué estado está mi consulta anterior?",
                "Quería saber si tenemos algún servicio pendiente de pago.",
                # Vague requests: nothing in them changes the outcome; an agent reads them.
                "Necesito ayuda con una cosa, ¿me podéis atender?",
                "Tengo una duda, ¿me podéis ayudar?",
                "Quería haceros una consulta sobre mi cuenta con vosotros.",
                "Tengo una pregunta sobre el servicio que tenemos con vosotros.",
                "¿Cómo entro en el área de cliente para ver mis solicitudes?",
                "¿Me confirmáis que os ha llegado mi mensaje anterior?",
                "¿Con quién hablo para cambiar los datos de facturación de la cuenta?",
                "Necesito ayuda, no sé muy bien a quién dirigirme."]),
        "en": (["Question", "Invoice", "Contract question", "Contact details", "Thanks",
                "Quick question", "My account", "Need help"],
               ["Could you send me last quarter's invoice?",
                "When does our hosting contract renew?",
                "I would like to change the company's contact person.",
                "What exactly does our service include?",
                "Just wanted to say thanks for yesterday's help.",
                "What are your support hours?",
                "I need some help with something, can someone get back to me?",
                "I have a question about my account with you.",
                "Quick question about the service we have with you.",
                "How do I sign in to the client area to see my requests?",
                "Can you confirm you received my previous message?",
                "Who do I talk to about changing our billing details?"]),
    },
    "content_management": {
        "es": (["Actualizar contenidos", "Cambiar textos", "Subir fotos", "Publicar entrada"],
               ["¿Podéis cambiar los textos de la página de inicio por los que os adjunto?",
                "Os mando unas fotos nuevas para que las subáis a la galería.",
                "Necesito que publiquéis esta entrada en el blog el lunes.",
                "Queremos actualizar los precios de la carta en la web, os paso el documento.",
                "Por favor, cambiad el horario que aparece en la web por el de verano.",
                "¿Podéis añadir estos tres productos nuevos al catálogo con sus fotos?"]),
        "en": (["Update content", "Change the texts", "Upload photos", "Publish a post"],
               ["Could you replace the home page texts with the attached ones?",
                "Please upload these new photos to the gallery.",
                "Please publish this blog post on Monday.",
                "Please change the opening hours shown on the site."]),
    },
    "ecommerce_orders": {
        "es": (["Pedidos", "Devolución", "Reembolso", "Gestionar pedidos"],
               ["Un cliente quiere devolver un pedido, ¿podéis tramitar el reembolso?",
                "Hay pedidos pendientes de preparar en la tienda, ¿los gestionáis vosotros?",
                "Necesito que reviséis las transacciones de la tienda de este mes.",
                "¿Podéis marcar como enviados los pedidos de ayer y avisar a los clientes?",
                "Un comprador pagó dos veces el mismo pedido, hay que devolverle uno."]),
        "en": (["Orders", "Refund", "Return", "Manage orders"],
               ["A customer wants to return an order, can you process the refund?",
                "There are pending orders in the shop, can you handle them?",
                "Please review this month's shop transactions.",
                "A buyer paid twice for the same order; please refund one."]),
    },
    "customer_service": {
        "es": (["Atención al cliente", "Responder a mis clientes", "Atender a mis clientes"],
               ["¿Podéis responder vosotros a las consultas de mis clientes esta semana que estoy de vacaciones?",
                "Necesito que alguien atienda a mis clientes por el chat de la tienda.",
                "Quiero que os ocupéis de la atención al cliente de mi negocio por correo.",
                "¿Podéis contestar las preguntas que dejan mis clientes en la web?"]),
        "en": (["Customer service", "Answer my customers", "Attend my customers"],
               ["Can you answer my customers' questions this week while I am away?",
                "I need someone to attend my customers on the shop's chat.",
                "We want you to take over our business's customer service by email."]),
    },
}

# Writers: openers and closers per language; the style also transforms the text.
OPEN = {
    "formal": {"es": ["Estimados señores:", "Buenos días:", "Estimado equipo de soporte:"],
               "en": ["Dear support team,", "Good morning,", "Dear Sir or Madam,"]},
    "hurried": {"es": ["", "hola", "buenas"], "en": ["", "hi", "hey"]},
    "angry": {"es": ["Esto es inaceptable.", "Ya estoy harto.", "Es la tercera vez que escribo."],
              "en": ["This is unacceptable.", "I am fed up.", "This is the third time I write."]},
    "elderly": {"es": ["Buenos días, perdonen la molestia, yo de esto entiendo poco.",
                       "Hola, soy {name}, mi sobrino me montó la web y ahora no está."],
                "en": ["Good morning, sorry to bother you, I am not good with computers.",
                       "Hello, this is {name_en}, my grandson set this up for me."]},
    "technical": {"es": ["Hola,", "Buenas,"], "en": ["Hi,", "Hello,"]},
}
CLOSE = {
    "formal": {"es": ["Quedo a la espera de su respuesta.\nUn cordial saludo,\n{name}",
                      "Gracias de antemano.\nAtentamente,\n{name}"],
               "en": ["I look forward to your reply.\nKind regards,\n{name_en}",
                      "Thank you in advance.\nBest regards,\n{name_en}"]},
    "hurried": {"es": ["", "gracias", "urge"], "en": ["", "thx", "asap pls"]},
    "angry": {"es": ["Quiero una solución YA.", "Pago por un servicio que no funciona."],
              "en": ["I want this fixed NOW.", "I pay for a service that does not work."]},
    "elderly": {"es": ["Muchas gracias y disculpen las molestias. Un saludo, {name}.",
                       "Les estaría muy agradecida si me ayudan. {name}"],
                "en": ["Thank you very much and sorry for the trouble. {name_en}"]},
    "technical": {"es": ["Saludos.", "Adjunto captura."], "en": ["Regards.", "Screenshot attached."]},
}
TECH_NOTES = {
    "site_down": ["curl -I https://{domain} -> timeout", "ping al servidor sin respuesta",
                  "traceroute se corta en el último salto"],
    "mail_server": ["550 5.7.1 Service unavailable; client host blocked",
                    "Remote-MTA: dns; mx.{domain}; 421 too many connections",
                    "Diagnostic-Code: smtp; 554 rejected due to spam content"],
    "mail_client": ["IMAP 993 SSL, SMTP 465", "error 0x800CCC0E", "certificate name mismatch"],
    "hosting": ["dig +short {domain} devuelve la IP antigua", "TTL 3600", "ERR_CERT_DATE_INVALID"],
    "site_fault": ["PHP Fatal error: Uncaught Error in wp-content/plugins/", "WP_DEBUG activado",
                   "la consola del navegador muestra un error JavaScript en checkout"],
    "paid_change": ["versión PHP 8.2", "clave de licencia adjunta"],
}
STYLES = ["formal", "hurried", "angry", "elderly", "technical"]
STYLE_WEIGHTS = [0.3, 0.25, 0.15, 0.15, 0.15]


def compose(label: str, lang: str, rng: random.Random) -> dict:
    subjects, bodies = T[label][lang]
    style = rng.choices(STYLES, STYLE_WEIGHTS)[0]
    length = rng.choices([1, 2, 3], [0.5, 0.35, 0.15])[0]
    core = rng.sample(bodies, min(length, len(bodies)))
    parts = [rng.choice(OPEN[style][lang]), *core]
    if style == "technical" and label in TECH_NOTES:
        parts.append(rng.choice(TECH_NOTES[label]))
    parts.append(rng.choice(CLOSE[style][lang]))
    body = "\n".join(p for p in parts if p)
    subject = rng.choice(subjects) if rng.random() < 0.85 else rng.choice(
        ["Ayuda", "Urgente", "Consulta", ""] if lang == "es" else ["Help", "Urgent", "Question", ""])
    body, subject = fill(body, POOLS, rng), fill(subject, POOLS, rng)
    if style == "hurried":
        body, subject = hurried(body), subject.lower()
    elif style == "angry":
        body = angry(body, rng)
    if rng.random() < 0.35:
        body, subject = strip_accents(body), strip_accents(subject)
    if rng.random() < 0.3:
        body = typos(body, rng, 0.08)
    return {"subject": subject, "body": body, "label": label, "lang": lang}


def generate(total: int = TOTAL, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for label, share in SHARES.items():
        for _ in range(max(MINIMUM, round(total * share))):
            rows.append(compose(label, "es" if rng.random() < 0.65 else "en", rng))
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    rows = generate()
    write_jsonl(OUT, rows)
    print(f"{len(rows)} requests written to {OUT}")
