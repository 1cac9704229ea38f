"""The throughput peer of bench_antispam_http.py: the least a WSGI application can do.

It reads the posted body and answers `false`, under the same granian settings, load
generator, bodies and concurrency as the real comment-check: what the server and the
load generator cost by themselves on this machine, the ceiling any check stays under.
"""

BODY = b"false"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("200 OK", HEADERS)
    return [BODY]
