"""The training corpus: labelled comments, contact forms, registrations and order notes.

Written for this project, not copied from any public collection: every text is put
together from the phrase banks below by a seeded random walk, so the same seed
always writes the same file. Run it with `python -m xuala.antispam.corpus.make`
(it writes `train.jsonl` beside itself); `xuala antispam train` then learns from it.

Each line: content, author, email, url, type (comment|contact|registration|
order_note), lang (the site's language: es|en), label (spam|ham), family (what
kind of writer made it, for reading the errors).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from xuala.antispam.corpus import voices as v

HERE = Path(__file__).resolve().parent
SLOT = re.compile(r"\{(\w+)\}")


def expand(rng: random.Random, template: str, slots: dict[str, list[str]]) -> str:
    """Fills each {slot} with one of its phrases, recursively (phrases may hold slots)."""
    for _ in range(6):
        if "{" not in template:
            break
        template = SLOT.sub(lambda m: rng.choice(slots[m.group(1)]) if m.group(1) in slots
                            else m.group(0), template)
    return template


# -- ham ------------------------------------------------------------------------------

HAM_ES = {
    "topic": ["la receta", "el artículo", "la ruta", "el tutorial", "la entrada", "el post",
              "la guía", "el vídeo", "lo que contáis", "la explicación"],
    "dish": ["las lentejas", "el bizcocho", "la tortilla", "el pulpo", "las croquetas",
             "el gazpacho", "la paella", "el pan de masa madre", "las torrijas", "el cocido"],
    "thing": ["el pedido", "la reserva", "el presupuesto", "la factura", "el envío",
              "la cita", "la matrícula", "el curso", "la devolución", "el bono"],
    "product": ["la mesa de roble", "las zapatillas", "el aceite de 5 litros", "la crema solar",
                "el kit de riego", "la bici eléctrica", "las botas de monte", "el colchón",
                "la cafetera", "el lote de vinos", "la funda del móvil", "el abono"],
    "place": ["Granada", "Bilbao", "Zaragoza", "Cáceres", "Lugo", "Valencia", "Murcia",
              "Santander", "Cuenca", "Teruel", "Alicante", "Vigo", "Salamanca", "Huesca"],
    "day": ["el lunes", "el martes", "mañana", "el viernes", "este fin de semana",
            "la semana que viene", "el día 14", "el sábado por la mañana", "hoy"],
    "thanks": ["Muchas gracias", "Gracias", "Mil gracias", "Muchísimas gracias", "Gracias de verdad",
               "Muy agradecida", "Muy agradecido", "Gracias por todo"],
    "greet": ["Hola", "Buenas", "Buenos días", "Buenas tardes", "Hola buenas", "Hola,", "Saludos",
              "Estimados señores", "Hola a todos", ""],
    "bye": ["Un saludo", "Saludos", "Gracias", "Un abrazo", "Atentamente", "Quedo a la espera",
            "Gracias de antemano", "", "Besos", "Un saludo cordial"],
    "comment": [
        "{thanks} por {topic}, me ha servido muchísimo.",
        "Hice {dish} siguiendo vuestros pasos y salieron genial. En casa repetimos seguro.",
        "Yo a {dish} le pongo un poco menos de sal y queda igual de rico.",
        "¿Se puede congelar {dish}? Lo pregunto porque me ha sobrado bastante.",
        "Estuvimos en {place} {day} y la ruta que recomendáis está muy bien señalizada, aunque el último tramo es duro con niños.",
        "No estoy de acuerdo con lo que dices del alquiler, en {place} los precios han subido mucho más.",
        "Una pregunta: ¿el horno tiene que estar con ventilador o sin él?",
        "Muy buen artículo. Solo un apunte: el enlace a la segunda parte no funciona.",
        "Me encanta este blog, lo sigo desde hace años. Ánimo y seguid así.",
        "A mí no me salió bien, la masa quedó muy líquida. ¿Qué puedo haber hecho mal?",
        "Gracias por compartirlo. Mi abuela lo hacía igual en {place}.",
        "¿Cuándo sacáis la segunda parte? Estoy deseando leerla.",
        "Totalmente de acuerdo. Lo del ayuntamiento con el parque es una vergüenza.",
        "Qué fotos tan bonitas, dan ganas de ir ya mismo a {place}.",
        "Lo he probado con harina integral y también funciona, por si a alguien le sirve.",
        "Fuimos {day} con la familia y nos trataron de maravilla. Volveremos.",
        "Tengo una duda con el paso 3, ¿hay que dejarlo reposar en la nevera o fuera?",
        "Interesante, no lo sabía. ¿Tenéis alguna fuente donde leer más?",
        "Os dejo el enlace del vídeo que comentaba: {ownurl}",
        "En la página del BOE viene la norma completa por si alguien la quiere: {ownurl}",
        "jajaja me he visto reflejada en todo lo que cuentas",
        "Perfecto, justo lo que buscaba. {thanks}.",
        "Pues yo tuve una mala experiencia con el seguro, tardaron tres meses en pagar.",
        "¿Sirve también para la versión 6 de WordPress o solo para la 5?",
        "El tutorial está genial pero en el minuto 4 el audio se corta.",
        "Estoy siguiendo el curso y el módulo 2 no carga, ¿le pasa a alguien más?",
        "Muy útil, lo comparto con mi grupo de senderismo de {place}.",
        "Creo que hay una errata en la tabla: pone 200 gramos y en el texto 250.",
        "Me ha encantado el post, sobre todo la parte de cómo organizar la despensa.",
        "Una pena que hayan cerrado el bar de la plaza, era de toda la vida.",
    ],
    "contact": [
        "{greet} quería saber si tenéis disponible {product} en talla 42 y cuánto tarda el envío a {place}. {bye}",
        "{greet}, hice {thing} hace una semana y todavía no sé nada. El número es {num}. ¿Me podéis decir algo? {bye}",
        "{greet}. Me gustaría pedir cita para {day}. Soy paciente vuestra desde hace años. Mi teléfono es {phone}. {bye}",
        "{greet}, ¿hacéis presupuestos para reformas de baño en {place}? Sería un baño pequeño, unos 5 metros. {bye}",
        "Buenas, me ha llegado {product} roto, la caja venía abollada. Adjunto fotos por correo si me decís dónde. {bye}",
        "{greet} necesito la factura de {thing} a nombre de la empresa, el CIF es B{cif}. {bye}",
        "¿Tenéis mesa para 6 personas {day} a las 21:30? Uno de ellos es celíaco. {bye}",
        "{greet}, estoy interesada en el curso de inglés para niños, mi hijo tiene 9 años. ¿Qué horarios hay? {bye}",
        "{greet}. Quería anular {thing} del {day}, me ha surgido un imprevisto. {bye}",
        "Hola, no me deja pagar con tarjeta en la web, me sale un error al final. ¿Se puede hacer por transferencia?",
        "{greet}, ¿el hotel admite perros? Viajamos con una perrita pequeña. {bye}",
        "Os escribo porque {product} que compré no funciona desde el segundo día. Quiero la devolución. {bye}",
        "{greet} me podéis mandar el presupuesto que hablamos por teléfono con Paco? {bye}",
        "Buenas tardes, ¿seguís haciendo envíos a Canarias? El año pasado sí hacíais. {bye}",
        "{greet}, me he equivocado de dirección en {thing}, la buena es calle Mayor {num2}, 3ºB. {bye}",
        "Estoy muy descontento con el trato recibido {day} en la tienda de {place}. Nadie me atendió durante media hora.",
        "{greet}, ¿cuál es el horario de la oficina en agosto? {bye}",
        "Quiero daros las gracias por la atención de ayer, el técnico fue muy amable y lo dejó todo perfecto.",
        "{greet}, soy {name} de la asociación de vecinos de {place}. Queríamos saber si patrocináis actividades del barrio. {bye}",
        "Hola, ¿tenéis {product} en otro color? En la web solo sale en negro.",
        "{greet}, ¿aceptáis Bizum? {bye}",
        "Buenos días, os escribo desde el colegio de {place}: queremos organizar una visita con 25 alumnos de 4º. {bye}",
    ],
    "registration": [
        "", "", "", "Hola, me registro para seguir el curso.", "Cliente de la tienda de {place}.",
        "Soy profesora de primaria en {place}.", "Me interesa la sección de recetas.",
        "Socio número {num2} del club.", "Quiero recibir los avisos de nuevas rutas.",
        "Alumna del curso de {day}.", "Aficionado a la fotografía, de {place}.",
    ],
    "order_note": [
        "Por favor dejar en portería si no estoy.", "Llamar antes de venir, el timbre no funciona.",
        "Es un regalo, no incluir la factura en el paquete.", "Entregar por la tarde, por la mañana trabajo.",
        "El portal es el 2B, al lado de la farmacia.", "Si puede ser, envolver para regalo. {thanks}.",
        "Dejar al vecino del 1ºA si no contesto.", "Necesito factura con CIF B{cif}.",
        "Es urgente, lo necesito antes de {day}.", "", "Sin cebolla por favor, alergia.",
        "Quiero la talla M en lugar de la L si os queda.", "Cuidado que es frágil, son copas de cristal.",
    ],
}

HAM_EN = {
    "topic": ["the recipe", "this post", "the article", "the guide", "the walk", "this tutorial",
              "the write-up", "your video", "the review"],
    "dish": ["the banana bread", "the chilli", "the sourdough", "the shepherd's pie",
             "the flapjacks", "the curry", "the scones", "the lasagne"],
    "thing": ["my order", "the booking", "the quote", "the invoice", "my delivery",
              "the appointment", "the course", "my refund", "the subscription"],
    "product": ["the oak table", "the running shoes", "the garden hose kit", "the kettle",
                "the yoga mat", "the hiking boots", "the phone case", "the wine box"],
    "place": ["Leeds", "Bristol", "Glasgow", "Cardiff", "York", "Brighton", "Dublin", "Norwich",
              "Manchester", "the Lake District", "Cornwall", "Edinburgh"],
    "day": ["on Monday", "tomorrow", "this Friday", "next week", "on the 14th", "on Saturday morning",
            "today", "this weekend"],
    "thanks": ["Thanks", "Thank you", "Many thanks", "Thanks so much", "Cheers", "Thanks a lot"],
    "greet": ["Hi", "Hello", "Hi there", "Good morning", "Dear team", "Hiya", "Hello,", ""],
    "bye": ["Thanks", "Regards", "Kind regards", "Cheers", "Best", "Many thanks", "", "Ta"],
    "comment": [
        "{thanks} for {topic}, really helpful.",
        "Made {dish} last night following this and it came out perfectly. Family loved it.",
        "I usually add a bit less sugar to {dish} and it's still great.",
        "Can you freeze {dish}? I've got loads left over.",
        "We did this walk near {place} {day}, well signposted but the last bit is steep with kids.",
        "Not sure I agree about the rent figures, in {place} it's gone up far more than that.",
        "Quick question: fan oven or conventional?",
        "Great article. Just a heads up, the link to part two is broken.",
        "Been reading this blog for years, keep it up!",
        "Mine didn't turn out well, the batter was too runny. Any idea what I did wrong?",
        "My nan used to make it exactly like this back in {place}.",
        "When's part two coming out? Can't wait.",
        "Totally agree, what the council did with the park is a disgrace.",
        "Lovely photos, makes me want to go back to {place} right now.",
        "Tried it with wholemeal flour and it works too, in case anyone wonders.",
        "Does this work on WordPress 6 or only 5?",
        "The tutorial is great but the audio cuts out around minute 4.",
        "Here's the video I mentioned: {ownurl}",
        "lol this is so me",
        "Think there's a typo in the table, it says 200g but the text says 250g.",
        "Shame the pub on the square closed, it had been there forever.",
        "Brilliant, exactly what I was looking for. {thanks}!",
    ],
    "contact": [
        "{greet}, do you have {product} in a size 9 and how long does delivery to {place} take? {bye}",
        "{greet}, I placed {thing} a week ago and haven't heard anything. Order number {num}. {bye}",
        "{greet}, I'd like to book an appointment {day}. My number is {phone}. {bye}",
        "{greet}, do you quote for bathroom refits in {place}? Small room, about 5 square metres. {bye}",
        "{product} arrived damaged, the box was crushed. Where can I send photos? {bye}",
        "{greet}, could I get an invoice for {thing} made out to my company? {bye}",
        "Have you got a table for 6 {day} at 8pm? One of us is coeliac. {bye}",
        "{greet}, I'd like to cancel {thing} for {day}, something came up. {bye}",
        "The card payment on your site fails at the last step. Can I pay by bank transfer instead?",
        "{greet}, is the cottage dog friendly? We have a small terrier. {bye}",
        "{product} I bought stopped working after two days. I'd like a refund please.",
        "{greet}, what are your opening hours over Christmas? {bye}",
        "Just wanted to say thanks for yesterday, the engineer was really friendly and sorted everything.",
        "{greet}, I'm {name} from the {place} residents' association. Do you sponsor local events? {bye}",
        "Really disappointed with the service at the {place} branch {day}, nobody served me for half an hour.",
        "{greet}, our school in {place} would like to arrange a visit for 25 pupils. {bye}",
    ],
    "registration": ["", "", "", "Signing up for the newsletter.", "Member of the {place} club.",
                     "Customer since last year.", "Teacher in {place}.", "Here for the recipes!"],
    "order_note": ["Please leave with a neighbour if I'm out.", "Ring twice, the bell is dodgy.",
                   "It's a gift, please don't include the receipt.", "Deliver after 5pm please.",
                   "Flat 2B, next to the chemist.", "", "Need it before {day} if possible.",
                   "Fragile - glasses inside!", "Gift wrap please. {thanks}."],
}

# -- spam -----------------------------------------------------------------------------

SPAM_WORDS = {
    "seo": ["seo", "backlinks", "rank", "traffic", "google", "top", "links", "marketing", "web"],
    "pharma": ["viagra", "cialis", "pills", "pharmacy", "meds", "rx", "generic", "levitra", "tramadol"],
    "casino": ["casino", "slots", "bet", "poker", "spins", "bonus", "jackpot", "apuestas", "ruleta"],
    "crypto": ["bitcoin", "crypto", "invest", "trade", "profit", "forex", "coin", "wallet", "btc"],
    "adult": ["dating", "singles", "hot", "girls", "meet", "sexy", "cams", "chat", "escort"],
    "phish": ["secure", "verify", "account", "login", "domain", "renewal", "support", "billing"],
    "misc": ["replica", "watches", "loans", "essay", "cbd", "keto", "diet", "outlet", "cheap"],
}

SPAM = {
    "kw_pharma": ["buy viagra online", "cheap cialis", "generic viagra 100mg", "tramadol without prescription",
                  "order levitra", "comprar viagra sin receta", "cialis generico barato", "kamagra oral jelly",
                  "viagra online kaufen", "v1agra", "c1alis", "phentermine no rx", "xanax overnight"],
    "kw_casino": ["online casino", "best casino bonus", "free spins no deposit", "casino online España",
                  "bono sin depósito", "real money slots", "mejores casas de apuestas", "live roulette",
                  "casino en vivo", "tragamonedas gratis", "crypto casino"],
    "kw_crypto": ["bitcoin trading", "crypto investment", "forex signals", "passive income", "binary options",
                  "inversión en bitcoin", "ganar dinero desde casa", "USDT mining", "crypto recovery"],
    "kw_misc": ["replica watches", "cheap ugg boots", "payday loans", "essay writing service",
                "CBD gummies", "keto diet pills", "buy instagram followers", "préstamos rápidos",
                "réplicas de relojes", "outlet michael kors", "weight loss"],
    "flatter_en": [
        "{I truly|I really|I genuinely} {appreciate|enjoyed} this {post|article|blog post}. {I've been looking everywhere for this|Exactly what I needed}! {Thank goodness I found it on Bing|Bookmarked}.",
        "Hello there! This is {kind of|somewhat} off topic but I need some advice from an established blog. Is it {hard|difficult} to set up your own blog?",
        "Howdy! I could have sworn I've been to this {blog|website} before but after browsing through some of the posts I realized it's new to me.",
        "Wow, {awesome|superb|wonderful} blog layout! How long have you been blogging for? You make blogging look easy.",
        "Hi, I do believe this is an excellent {website|blog}. I stumbled upon it ;) I'm going to {come back|return} once again since I bookmarked it.",
        "Its like you read my mind! You appear to know {so much|a lot} about this, like you wrote the book in it or something.",
        "Greetings from {Idaho|Florida|Carolina|Ohio}! I'm bored to tears at work so I decided to browse your site on my iphone during lunch break.",
        "Nice post. I learn something {new and challenging|totally new} on {websites|blogs} I stumbleupon every day.",
        "Excellent {beat|goods} from you, man. I've understand your stuff previous to and you're just too {fantastic|magnificent}.",
        "Does your {site|blog} have a contact page? I'm having {trouble|problems} locating it but, I'd like to {send|shoot} you an e-mail.",
        "I'm not sure where you are getting your {info|information}, but {good|great} topic. I needs to spend some time learning more.",
        "Very {good|nice} {post|article}. I {definitely|certainly} love this site. Keep it up!",
        "Thanks for {sharing|finally writing about} > {topic_title} < Loved it!",
    ],
    "flatter_es": [
        "{Excelente|Magnífico|Gran} {artículo|post}, me ha {encantado|gustado mucho}. {Lo guardo en favoritos|Volveré pronto}.",
        "Hola, {muy buena|muy interesante} la información de este {blog|sitio}. Les invito a visitar mi web sobre {kw}.",
        "{Gracias por compartir|Muchas gracias por la información}, {muy útil|de gran ayuda}. Saludos desde {México|Colombia|Perú|Argentina}.",
        "Me {encanta|gusta} la forma en que explicas todo, {sigue así|felicidades por el blog}. {Te dejo mi web|Visita mi página} por si te interesa.",
        "{Genial|Buenísimo} el {post|contenido}, justo lo que andaba buscando para mi proyecto.",
    ],
    "seo_link": [
        "{flatter} {Check out|Visit|Have a look at} my {site|page|blog} about {kw}: {link}",
        "{kw} {link} {kw} {link} {kw}",
        "<a href=\"{url}\">{kw}</a> <a href=\"{url}\">{kw}</a> {flatter}",
        "[url={url}]{kw}[/url] [url={url}]{kw}[/url]",
        "{flatter}\n\nMy {homepage|web page|webpage}: <a href=\"{url}\">{kw}</a>",
        "{flatter} {kw} - {url}",
        "{Hi|Hello}! {flatter}\n\n{Also visit my site|Feel free to surf to my homepage|Here is my blog}: {url}",
        "{kw} {kw} {kw} {url}",
    ],
    "pharma": [
        "{kw} {link} {Best prices|Lowest price|Discount} {guaranteed|online}! {Fast|Discreet} {shipping|delivery} {worldwide|to Europe}.",
        "Buy {kw} {online|today} - {no prescription needed|without prescription|FDA approved} {link}",
        "{Comprar|Compra} {kw} {online|barato} sin receta, envío discreto a toda España {link}",
        "{kw} {kw} <a href=\"{url}\">{kw}</a> generic pills 100mg {cheap|discount}",
        "Hello! {Good|Nice} site. {kw} {link} men's health pharmacy, 80% off.",
        "{Erectile dysfunction|ED} {problems|trouble}? Try {kw} {today|now}: {link}",
    ],
    "casino": [
        "{Best|Top} {kw} {2024|2025|2026}! {Get|Claim} {200%|100%|500 free spins} bonus {now|today}: {link}",
        "{Play|Join} {kw} and win {real money|big}! {link}",
        "{Juega|Apuesta} en el {mejor|nuevo} {kw} con {bono de bienvenida|giros gratis} de {100|200|500}€ {link}",
        "{kw}: {link} {instant withdrawal|fast payouts}, {no KYC|no verification}, {crypto accepted|bitcoin accepted}",
        "{flatter} <a href=\"{url}\">{kw}</a>",
    ],
    "crypto": [
        "I {made|earned} ${amount} {in a week|last month|in 3 days} with {kw}! {Contact|Message} {Mr|Mrs|Dr} {scamname} on WhatsApp {phone_intl} {for guidance|to start}.",
        "{Hello|Hi} everyone, I want to testify how {Mr|Mrs} {scamname} helped me recover my lost {crypto|bitcoin|funds}. Email {scammail}",
        "{Invest|Start with} ${small} and {get|earn} ${amount} in {24 hours|7 days}. {Guaranteed|100% guaranteed} {profit|returns}. {link}",
        "{Gané|He ganado} {amount}€ {en una semana|el mes pasado} con {kw}, contacten al {Sr|Sra} {scamname} por WhatsApp {phone_intl}",
        "{Rentabilidad garantizada|Beneficios garantizados} del {20|30|50}% mensual con {kw}. Plazas limitadas: {link}",
        "Your {BTC|USDT} {payout|withdrawal} of {amount} is {pending|ready}. {Confirm|Claim} {here|now}: {link}",
    ],
    "offer_en": [
        "Hi, I came across {sitename} and noticed it {isn't ranking|doesn't appear} on the first page of Google for {many|important} keywords. We can {fix|change} that {in 30 days|quickly}. {Reply|Reply YES} for a {free audit|free quote}.",
        "Hello, I'm {scamname}, a {web developer|SEO specialist|digital marketing consultant}. Your website {has|shows} {several|a few} {issues|errors} that {are hurting|affect} your {rankings|sales}. Can I send you a {proposal|report}?",
        "{Hi|Hello} there, would you be interested in {a guest post|publishing a sponsored article|link insertion} on {sitename}? We pay ${small} per {post|link}.",
        "We {offer|provide} {high quality|high DA|permanent} backlinks {from|on} {authority sites|DA 50+ sites} at {a very low cost|cheap prices}. {Check|See} {our packages|prices}: {link}",
        "{Hi|Hello}, I can {redesign|rebuild} your website {for only|from} ${small}. {Modern|Responsive}, {fast|SEO friendly}. {Reply|Email me} {for samples|if interested}.",
        "Want more {customers|leads|clients}? We {send|blast} your ad to {millions of|5 million} contact forms {like this one|worldwide} for {just|only} ${small}. {link}",
        "{Hi|Hello}, this is {scamname} from {a|an} {app development|outsourcing} company in {India|Pakistan|Bangladesh}. We {build|develop} {apps|websites} at {affordable|very low} rates.",
        "{Hi|Hello} {sitename} team, {we|I} {noticed|saw} {you could|your site could} {get|use} more {traffic|visitors}. Our {AI tool|software} {finds|gets} {leads|customers} {automatically|on autopilot}: {link}",
    ],
    "offer_es": [
        "Hola, he visto la web {sitename} y no aparece en la primera página de Google. {Podemos|Te podemos} ayudar a {posicionarla|mejorar su posicionamiento} en {30 días|poco tiempo}. {Responde|Contesta} para una auditoría gratuita.",
        "{Buenos días|Hola}, somos una agencia de marketing digital. Ofrecemos {posicionamiento SEO|diseño web|gestión de redes sociales} desde {99|149|49}€ al mes. {Más información|Info} en {link}",
        "{Hola|Buenas}, ¿le interesaría publicar un artículo patrocinado en {sitename}? Pagamos {50|80|100}€ por publicación con enlace.",
        "Hola, ¿quieres más clientes? Enviamos tu anuncio a {miles de|un millón de} formularios de contacto como este por solo {49|99}€. {link}",
        "Estimado responsable de {sitename}: su dominio podría perder visibilidad. {Le ofrecemos|Ofrecemos} enlaces de calidad en medios {de alta autoridad|de prensa}. {link}",
    ],
    "adult": [
        "{Hot|Lonely|Beautiful} {singles|girls|women} in your area {want to|waiting to} {meet|chat}! {link}",
        "{Hi|Hey}, I'm {girlname}, {23|25|28} years old. {Look at my photos|See my profile|Write me} {here|please}: {link}",
        "{Chicas|Mujeres} {solteras|guapas} {cerca de ti|en tu ciudad} quieren conocerte {link}",
        "{Free|Live} {sex cams|adult chat} {no registration|no signup} {link}",
        "{Hello|Hi} dear, {I saw your profile|I found your contact} and {I want to know you|you seem nice}. {My email|Write me}: {scammail}",
    ],
    "phish": [
        "{Your|This} domain {sitename} {expires|will expire} {today|in 24 hours|on {date}}. {Renew|Pay} {now|immediately} to avoid {losing|suspension of} your {website|emails}: {link}",
        "{Hello|Dear website owner}, your website {uses|contains} {images|photos} {I own|that belong to me}. This is a DMCA notice. {See|Download} the {proof|evidence} {here|below}: {link}",
        "{Security alert|Important notice}: {we detected|there is} {unusual|suspicious} {activity|login} on your {account|hosting}. {Verify|Confirm} your {details|password}: {link}",
        "{Aviso|Notificación} importante: su dominio {sitename} {caduca|será suspendido} {hoy|en 48 horas}. {Renueve|Pague} aquí: {link}",
        "{Hola|Estimado cliente}, su cuenta ha sido {bloqueada|suspendida} por {seguridad|actividad inusual}. {Verifique|Confirme} sus datos en {link}",
        "{Hello|Hi}, {your invoice|payment} #{num} {failed|is overdue}. {Update|Check} your billing {information|details}: {link}",
        "{Hi|Hello}, I {tried|wanted} to {contact|reach} you {about|regarding} {your website|a copyright issue} but {got no answer|nobody replied}. {Details|The report} {here|is here}: {link}",
    ],
    "registration": [
        "", "", "{kw} {link}", "{Hello|Hi}! I'm {junk}, I {love|like} {fishing|gaming|travel|cooking}. {My site|Visit me}: {url}",
        "{flatter}", "{kw}", "{kw} {url}", "{Im|I am} {junk} from {USA|UK|Germany|Canada}. {kw}",
    ],
    "foreign_ru": [
        "{Привет|Здравствуйте}! {Купить|Заказать} {диплом|аттестат|права} {недорого|быстро} {link}",
        "{Лучшее|Новое} {онлайн казино|казино} с {бонусом|фриспинами}: {link}",
        "{Продвижение сайтов|Раскрутка сайта} в {Google|Яндекс} {недорого|под ключ}. {Пишите|Звоните}: {link}",
        "{Кредит|Займ} без отказа {онлайн|на карту} {link}",
        "{Интересная|Хорошая} статья, {спасибо|благодарю}. {Смотрите также|Читайте} {link}",
    ],
    "foreign_cjk": [
        "{最新|最好的}{在线赌场|网上赌场}{注册送|首存送}{100|888}元 {link}",
        "{专业|正规}{代开发票|办理证件} {联系|微信} {num}",
        "{高端|精品}{手表|名牌包}{批发|复刻} {link}",
        "{出会い系|激安ブランド}{サイト|コピー} {link}",
        "{色情|成人}{视频|直播} {免费|在线} {link}",
    ],
}

SPAM_SLOTS = {
    "amount": ["3,500", "12,000", "45,000", "8200", "27,450", "150.000", "6.000"],
    "small": ["50", "99", "150", "250", "300", "1000", "49"],
    "scamname": ["John Carter", "Maria Garcia", "Kevin Lowe", "Elizabeth Parker", "Adam Benson",
                 "Olivia Brown", "Robert Hughes", "Linda Sanders", "Anil Kumar", "Sam Wilson"],
    "girlname": ["Anna", "Kristina", "Olga", "Jessica", "Natasha", "Linda", "Sofia", "Katya"],
    "phone_intl": ["+1 (929) 555-0134", "+44 7700 900123", "+234 803 555 0199", "+1 646 555 0182",
                   "+971 50 555 0143", "+1(312)5550177"],
    "date": ["12/05", "March 3", "30.11", "1st of June"],
    "topic_title": ["My Blog", "this topic", "10 Tips", "Home", "Uncategorized"],
    "sitename": ["your website", "your site", "tu web", "your domain", "la página"],
}


def _spin(rng: random.Random, text: str) -> str:
    """Resolves {a|b|c} spin syntax, innermost first, as spam tools do before sending."""
    pattern = re.compile(r"\{([^{}]*\|[^{}]*)\}")
    while True:
        new = pattern.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        if new == text:
            return new
        text = new


def ham_item(rng: random.Random, lang: str, kind: str, bank: dict) -> dict:
    first, last = v.person(rng, lang)
    slots = dict(bank)
    slots.update({
        "num": [str(rng.randint(10000, 999999))], "num2": [str(rng.randint(1, 120))],
        "phone": [f"6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"],
        "cif": [str(rng.randint(10000000, 99999999))], "name": [first],
        "ownurl": [rng.choice(v.OWN_SITES) + "".join(rng.choice("abcdefghijk0123") for _ in range(8))],
    })
    body = expand(rng, rng.choice(bank[kind]), slots)
    if kind == "comment" and rng.random() < 0.25:
        body += " " + expand(rng, rng.choice(bank["comment"]), slots)
    if kind == "contact" and rng.random() < 0.15:
        body = body + "\n\n" + first + " " + last
    body = v.typos(rng, body, rate=0.35).strip()
    url = ""
    if kind == "comment" and rng.random() < 0.1:
        url = rng.choice(v.OWN_SITES) + v.ascii_fold(first).lower()
    return {"content": body, "author": v.author_of(rng, first, last),
            "email": v.email_of(rng, first, last, lang), "url": url, "type": kind,
            "lang": lang, "label": "ham", "family": f"ham_{kind}"}


def spam_item(rng: random.Random, lang: str, family: str) -> dict:
    words_key = {"pharma": "pharma", "casino": "casino", "crypto": "crypto", "adult": "adult",
                 "phish": "phish"}.get(family, rng.choice(["seo", "misc", "casino", "pharma"]))
    words = SPAM_WORDS[words_key]
    kw_list = {"pharma": SPAM["kw_pharma"], "casino": SPAM["kw_casino"],
               "crypto": SPAM["kw_crypto"]}.get(family, SPAM["kw_misc"] + SPAM["kw_casino"][:4])
    url = v.spam_url(rng, words)
    slots = dict(SPAM_SLOTS)
    flatter = SPAM["flatter_es"] if lang == "es" and rng.random() < 0.5 else SPAM["flatter_en"]
    slots.update({
        "kw": kw_list, "url": [url], "flatter": flatter, "num": [str(rng.randint(1000, 99999))],
        "link": [url, url, f"<a href=\"{url}\">{rng.choice(kw_list)}</a>", f"[url={url}]{rng.choice(kw_list)}[/url]"],
        "scammail": [f"{rng.choice(['recovery', 'mrjohn', 'expert', 'helpdesk'])}{rng.randint(1, 99)}@{rng.choice(v.SPAM_MAIL_DOMAINS)}"],
        "junk": [v.junk_name(rng)],
    })
    kind = "comment"
    if family in ("offer_en", "offer_es", "phish"):
        kind = "contact" if rng.random() < 0.85 else "comment"
    elif family == "registration":
        kind = "registration"
    elif family in ("crypto", "adult") and rng.random() < 0.3:
        kind = "contact"
    elif rng.random() < 0.05:
        kind = "order_note"
    template_family = "seo_link" if family == "seo" else family
    if family == "flatter":
        template = rng.choice(flatter) + rng.choice(["", "", " {url}", "\n{link}"])
    else:
        template = rng.choice(SPAM[template_family])
    body = _spin(rng, expand(rng, template, slots))
    body = _spin(rng, expand(rng, body, slots)).strip()
    author_roll = rng.random()
    if author_roll < 0.35:
        author = v.junk_name(rng)
    elif author_roll < 0.55:
        author = rng.choice(kw_list)
    elif author_roll < 0.8:
        author = " ".join(v.person(rng, "en"))
    else:
        author = rng.choice(SPAM_SLOTS["scamname"])
    email = v.junk_email(rng, author, disposable_share=0.5 if family == "registration" else 0.2)
    item_url = url if (family in ("flatter", "seo", "registration") or rng.random() < 0.3) else ""
    return {"content": body, "author": author, "email": email, "url": item_url, "type": kind,
            "lang": lang, "label": "spam", "family": family}


SPAM_FAMILIES = {  # family -> (weight, site languages it lands on)
    "seo": (14, ["es", "en"]), "flatter": (14, ["es", "en"]), "pharma": (9, ["es", "en"]),
    "casino": (9, ["es", "en"]), "crypto": (9, ["es", "en"]), "offer_en": (10, ["es", "en"]),
    "offer_es": (6, ["es"]), "adult": (6, ["es", "en"]), "phish": (8, ["es", "en"]),
    "registration": (9, ["es", "en"]), "foreign_ru": (4, ["es", "en"]), "foreign_cjk": (3, ["es", "en"]),
}
HAM_KINDS = {"comment": 45, "contact": 35, "registration": 10, "order_note": 10}


def corpus(*, seed: int, size: int, spam_share: float = 0.45) -> list[dict]:
    rng = random.Random(seed)
    items = []
    families = list(SPAM_FAMILIES)
    weights = [SPAM_FAMILIES[f][0] for f in families]
    kinds = list(HAM_KINDS)
    for _ in range(size):
        if rng.random() < spam_share:
            family = rng.choices(families, weights)[0]
            items.append(spam_item(rng, rng.choice(SPAM_FAMILIES[family][1]), family))
        else:
            lang = "es" if rng.random() < 0.65 else "en"
            kind = rng.choices(kinds, [HAM_KINDS[k] for k in kinds])[0]
            items.append(ham_item(rng, lang, kind, HAM_ES if lang == "es" else HAM_EN))
    return items


def write(path: Path, items: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    size = int(argv[0]) if argv else 4000
    write(HERE / "train.jsonl", corpus(seed=15, size=size))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
