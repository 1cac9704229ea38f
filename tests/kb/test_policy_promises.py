"""Every promise of the original policy text is in the published article (§1-§6.3.6 and the
closing paragraph), in Spanish and in English.

``PROMISES`` maps each sentence of the original (by its opening words) to the words of its
promise that the rendered article must carry: the tú form of the original becomes usted,
and the company's own precisions (working days, 4 h emergencies, meeting length, IVA) are
marked clarifications beside them. A sentence of the original that the map does not cover
fails the test, and so does an edit of the policy file or the catalogue that drops one.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ORIGINAL = Path(__file__).parent / "fixtures" / "politicas-de-asistencia-tecnica.txt"
URL_ES = "/kb/politicas-de-asistencia-tecnica/"
URL_EN = "/en/kb/politicas-de-asistencia-tecnica/"

# (opening words of the original sentence, Spanish promise words, English promise words)
PROMISES: list[tuple[str, list[str], list[str]]] = [
    ("Políticas de Asistencia Técnica", ["Políticas de Asistencia Técnica"],
     ["Technical Support Policy"]),
    ("Horarios", ["Horarios"], ["Opening hours"]),
    ("Nuestro servicio de Asistencia a Clientes",
     ["Nuestro servicio de Asistencia a Clientes se lleva a cabo de lunes a viernes de 9:00 a "
      "20:00"], ["Our Customer Support service works Monday to Friday from 9:00 to 20:00"]),
    ("Los fines de semana no serán atendidas",
     ["no serán atendidas solicitudes ni mensajes, excepto casos concretos de emergencias "
      "relacionadas con el servicio web"],
     ["requests and messages are not attended, except specific cases of emergencies related "
      "to the web service"]),
    ("Tiempo de respuesta", ["Tiempo de respuesta"], ["Response time"]),
    ("Nuestro plazo de respuesta por defecto es de 72 horas",
     ["Nuestro plazo de respuesta por defecto es de 72 horas, aunque nuestro equipo hará lo "
      "posible para atender las peticiones dentro de un marco de tiempo de 24 horas, si bien "
      "no podemos garantizarlo puesto que depende del volumen de peticiones y tickets que haya "
      "en cada momento"],
     ["Our default response time is 72 hours", "within a time frame of 24 hours",
      "depends on the volume of requests and tickets at each moment"]),
    ("Vía correcta de solicitud de Asistencia", ["Vía correcta de solicitud de Asistencia"],
     ["The right way to ask for support"]),
    ("Es imprescindible que utilices",
     ["Es imprescindible que utilice el formulario de tickets de su Área de Cliente o bien la "
      "cuenta de correo dedicada asistencia@modo3.net"],
     ["It is essential that you use the ticket form of your Client Area or else the dedicated "
      "e-mail account asistencia@modo3.net"]),
    ("Si envías mensajes por otros medios", ["por otros medios, no serán atendidos"],
     ["by other means, they will not be attended"]),
    ("Atención personalizada", ["Atención personalizada"], ["Personal assistance"]),
    ("Nuestro teléfono de atención al cliente",
     ["Nuestro teléfono de atención al cliente no está destinado al soporte técnico ni a la "
      "asistencia especializada"],
     ["Our customer service telephone is not meant for technical support or specialised "
      "assistance"]),
    ("Si deseas obtener asistencia personal dedicada",
     ["asistencia personal dedicada, por favor no nos llame directamente"],
     ["dedicated personal assistance, please do not call us directly"]),
    ("En vez de eso, envíanos un email",
     ["envíenos un email solicitándolo y concertaremos una reunión virtual para un día y a una "
      "hora (sujeto a disponibilidad por ambas partes)"],
     ["send us an e-mail asking for it and we will arrange a virtual meeting for a day and at "
      "a time (subject to the availability of both parties)"]),
    ("Costes adicionales", ["Costes adicionales"], ["Additional costs"]),
    ("Es posible que nos solicites cambios",
     ["cambios, mejoras o características en su servicio que impliquen gastos adicionales"],
     ["changes, improvements or features in your service that involve additional costs"]),
    ("Si es necesario adquirir componentes",
     ["Si es necesario adquirir componentes con licencia de uso o ampliaciones de servicio, le "
      "enviaremos previamente la cotización vía presupuesto para que acepte la propuesta"],
     ["we will first send you the quotation as an estimate so that you can accept the "
      "proposal"]),
    ("Cobertura de la Asistencia", ["Cobertura de la Asistencia"], ["Scope of support"]),
    ("Nuestra Asistencia Técnica está limitada",
     ["Nuestra Asistencia Técnica está limitada a los clientes que tienen contratado alguno "
      "de nuestros servicios"],
     ["limited to clients who have contracted one of our services"]),
    ("No ofrecemos soporte a servicios de terceros",
     ["No ofrecemos soporte a servicios de terceros ni plataformas externas"],
     ["We do not offer support for third-party services or external platforms"]),
    ("Tampoco ofrecemos soporte",
     ["Tampoco ofrecemos soporte con problemas relacionados con informática personal, "
      "problemas de Windows o Mac, fallos de ordenadores o de redes"],
     ["personal computing, Windows or Mac problems, or faults of computers or networks"]),
    ("Nuestro servicio y coberturas son exclusivos",
     ["Nuestro servicio y coberturas son exclusivos para nuestra infraestructura de "
      "servidores propia denominada comercialmente y en adelante «Xuala Cloud»"],
     ["exclusively for our own server infrastructure, commercially named and hereinafter "
      "“Xuala Cloud”"]),
    ("Cobertura de asistencia en correos corporativos",
     ["Cobertura de asistencia en correos corporativos"], ["Corporate mail"]),
    ("Sólo ofrecemos cobertura limitada",
     ["Sólo ofrecemos cobertura limitada al servicio de correo Xuala Cloud, asegurando el "
      "correcto funcionamiento de envío y recepción del mismo a nivel de servidor"],
     ["We only offer limited coverage of the Xuala Cloud mail service"]),
    ("Si se originan problemas con el correo",
     ["configuraciones con el sistema operativo, software, redes u otros motivos por parte "
      "del cliente, no estarán cubiertos"],
     ["operating system, software, networks or other reasons on the client's side are not "
      "covered"]),
    ("Cobertura básica de asistencia en sitios web",
     ["Cobertura básica de asistencia en sitios web"], ["Basic website cover"]),
    ("La cobertura básica implícita",
     ["supone garantizar el correcto funcionamiento de nuestros servidores",
      "ofrecemos uptime de 99,7 % de operatividad y nos reservamos un 0,3 % a posibles fallos "
      "de funcionamiento, legal y técnicamente admitidos en cualquier servicio de hosting"],
     ["99.7 % uptime and reserve 0.3 % for possible malfunctions, legally and technically "
      "accepted in any hosting service"]),
    ("La cobertura básica incluida en dichos planes",
     ["no incluye la resolución de problemas o fallos con los sitios web, sean de la "
      "naturaleza que sean, ni de transacciones comerciales relacionadas con los sitios web"],
     ["does not include solving problems or faults of the websites, whatever their nature"]),
    ("Si tu problema está relacionado",
     ["tal como fallos intrínsecos de su sitio web o su TPV, y desea que los resolvamos, "
      "deberá contratar alguno de nuestros planes de Póliza de Cobertura Técnica Web Xuala "
      "Cloud"],
     ["one of our Xuala Cloud Web Technical Coverage Policy plans"]),
    ("Cobertura de los planes de Póliza",
     ["Cobertura de los planes de Póliza de Cobertura Técnica Prioritaria Xuala Cloud"],
     ["Coverage of the Xuala Cloud Priority Technical Coverage Policy plans"]),
    ("Esta cobertura incluye los siguientes servicios",
     ["Esta cobertura incluye los siguientes servicios por defecto"],
     ["This coverage includes the following services by default"]),
    ("Online Sentry®", ["Online Sentry®"], ["Online Sentry®"]),
    ("Mediante este servicio mantendremos",
     ["mantendremos monitorizada su web las 24 horas durante todo el año, chequeando de forma "
      "automática el estado de salud de su web o tienda online cada 1 minuto"],
     ["monitored 24 hours a day all year round", "every 1 minute"]),
    ("Si nuestro centinela detecta",
     ["automáticamente nos alertará y nos proporcionará un informe detallado del fallo para "
      "que podamos solucionarlo cuanto antes"],
     ["a detailed report of the failure so that we can solve it as soon as possible"]),
    ("Asistencia Técnica Prioritaria", ["Asistencia Técnica Prioritaria"],
     ["Priority Technical Support"]),
    ("Mediante este servicio, daremos prioridad",
     ["daremos prioridad a sus consultas por encima de otras peticiones, y atenderemos con "
      "mayor velocidad sus necesidades"],
     ["priority above other requests, and attend to your needs faster"]),
    ("El plazo por defecto de respuesta es de 24 horas",
     ["El plazo por defecto de respuesta es de 24 horas, aunque se podría ver ampliado a un "
      "máximo de 48 horas si nuestra carga y volumen de trabajo son muy altos puntualmente"],
     ["The default response time is 24 hours", "a maximum of 48 hours"]),
    ("WSA (Auditoría regular de seguridad)", ["WSA (Auditoría regular de seguridad)"],
     ["WSA (regular security audit)"]),
    ("Mediante este servicio, realizaremos de forma regular",
     ["realizaremos de forma regular una auditoría de seguridad de su sitio web cada 15 días"],
     ["a security audit of your website every 15 days"]),
    ("Analizaremos todos los archivos",
     ["Analizaremos todos los archivos alojados, scripts, bases de datos y ficheros ocultos "
      "con un escáner muy potente"], ["with a very powerful scanner"]),
    ("Si detectamos vulnerabilidades",
     ["Si detectamos vulnerabilidades las corregiremos de inmediato"],
     ["If we detect vulnerabilities we fix them at once"]),
    ("Y si detectamos una infección",
     ["procederemos a la desinfección de los archivos afectados"],
     ["we disinfect the affected files"]),
    ("Dependiendo de la complejidad",
     ["es posible que sea necesario desactivar temporalmente su sitio web mientras llevamos a "
      "cabo las labores de mantenimiento"], ["disable your website temporarily"]),
    ("Si el problema es muy grave",
     ["desactivar el sitio web durante un período de hasta 15 días hasta la resolución total "
      "del problema"], ["for a period of up to 15 days until the problem is fully solved"]),
    ("Protección Anti-Spam", ["Protección Anti-Spam"], ["Anti-spam protection"]),
    ("Mediante este servicio activamos",
     ["activamos los filtros, firewall y bloqueadores más sofisticados para evitar la entrada "
      "de contenido fraudulento o no deseado dentro de la base de datos"],
     ["the most sophisticated filters, firewall and blockers"]),
    ("Actualización semanal de componentes", ["Actualización semanal de componentes"],
     ["Weekly component updates"]),
    ("Mediante este servicio procedemos",
     ["cada martes una actualización completa de su sitio web, tanto a nivel de componentes, "
      "Theme y plugins, así como también del núcleo operativo (Core)"],
     ["every Tuesday a complete update of your website"]),
    ("Revisión de problemas surgidos",
     ["Revisión de problemas surgidos con su sitio web a nivel de programación, themes, "
      "componentes, plugins o tpv"], ["Review of problems with your website"]),
    ("Si durante un proceso de actualización",
     ["deja de funcionar o presenta inconsistencias técnicas, lo revisaremos con urgencia "
      "para darle solución"], ["we will review it urgently to solve it"]),
    ("Existen distintos planes",
     ["Existen distintos planes (de pago anual y mensual) que amplían los servicios de serie "
      "de esta póliza, y según el plan que contrate, podemos también gestionar los contenidos "
      "de su web, los pedidos y transacciones de su ecommerce e incluso la atención al "
      "cliente de su negocio"],
     ["we can also manage your website's content, your e-commerce orders and transactions "
      "and even your business's customer service"]),
    ("Consúltanos para más información",
     ["Consúltenos para más información en nuestro número de Atención al Cliente"],
     ["Ask us for more information on our Customer Service number"]),
    ("¿Le ha resultado útil este artículo?", ["¿Le ha resultado útil este artículo?"],
     ["Was this article helpful?"]),
]


def original_sentences() -> list[str]:
    sentences = []
    for line in ORIGINAL.read_text("utf-8").splitlines():
        line = line.replace("\xa0", " ").strip()
        for part in re.split(r"(?<=[.:])\s+(?=[A-ZÁÉÍÓÚ¿Y])", line):
            if part and not re.fullmatch(r"[\d.]+", part):
                sentences.append(part)
    return sentences


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def test_every_sentence_of_the_original_has_its_promise_listed():
    starts = [start for start, _, _ in PROMISES]
    missing = [s for s in original_sentences() if not any(s.startswith(x) for x in starts)]
    assert missing == []


def test_the_spanish_article_carries_every_promise_of_the_original(client):
    text = page(client, URL_ES)
    dropped = [words for _, es, _ in PROMISES for words in es if words not in text]
    assert dropped == []


def test_the_english_article_carries_every_promise_of_the_original(client):
    text = page(client, URL_EN)
    dropped = [words for _, _, en in PROMISES for words in en if words not in text]
    assert dropped == []


def test_the_companys_precisions_are_marked_as_clarifications(client):
    es = client.get(URL_ES).content.decode()
    notes = re.findall(r'<p class="clarification"><strong>Aclaración:</strong>(.*?)</p>', es)
    joined = " ".join(notes)
    assert "contadas en días hábiles" in joined  # §2 working days
    assert "4 horas" in joined  # emergencies
    assert "30 minutos" in joined  # §4 meetings
    assert "IVA (21 %)" in joined  # §5 tax
    en = client.get(URL_EN).content.decode()
    assert en.count('<p class="clarification"><strong>Clarification:</strong>') == len(notes)


def test_a_file_that_drops_a_promise_fails_the_check(client, settings, tmp_path):
    from tests.policy.copies import policy_copy

    policy_copy(tmp_path, settings, (" con un escáner muy potente.", "."))
    text = page(client, URL_ES)
    dropped = [words for _, es, _ in PROMISES for words in es if words not in text]
    assert dropped == ["Analizaremos todos los archivos alojados, scripts, bases de datos y "
                       "ficheros ocultos con un escáner muy potente"]
