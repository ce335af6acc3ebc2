"""A WSGI application that reads the whole request body and answers 200 with its length:
what the ingest view does with a batch, without the database (tests/project/test_gunicorn_conf.py)."""


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    payload = str(len(body)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]
