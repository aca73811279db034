# gunicorn's settings for production and the stack (config/Procfile):
#   gunicorn config.wsgi -c config/gunicorn.conf.py --bind 127.0.0.1:8000 --workers 3
# Behind a TLS proxy, bind where only the proxy can connect: the site trusts the last
# TRUSTED_PROXY_COUNT entries of X-Forwarded-For, which anyone reaching gunicorn directly
# could write.

# Access log on stdout, with the tokens of signed links redacted (/manage/<redacted>/).
accesslog = "-"
logger_class = "config.access_log.RedactingLogger"
# A request taking longer is killed; the preview's work is bounded well below this.
timeout = 30
