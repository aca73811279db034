"""gunicorn's access log without tokens (config/gunicorn.conf.py names this logger)."""

from gunicorn.glogging import Logger

from config.log_redaction import text_redact


class RedactingLogger(Logger):
    """Every value an access-log format can use (%(r)s, %(U)s, %(f)s, headers, environ)
    with the token segment of signed-link paths redacted."""

    def atoms(self, resp, req, environ, request_time):
        return {name: text_redact(value) if isinstance(value, str) else value
                for name, value in super().atoms(resp, req, environ, request_time).items()}
