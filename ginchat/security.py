"""What every answer carries and how a node decides it is not alone:
security headers, the session cookie's Secure flag, trusted proxies, and the
test of a multi-node setup that the SECRET_KEY check (create_app) relies on.
"""

from flask import has_request_context, redirect, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from ginchat.settings import Settings, settings

# The pages and the browser app: our own scripts and styles only (no inline
# script or handler anywhere in templates/ or static/js), WebSocket and fetch
# to this origin, pictures and voice previews from blob: URLs, never framed.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# flasgger's Swagger UI page starts itself with an inline script: it alone
# gets 'unsafe-inline', and still loads nothing from elsewhere.
SWAGGER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # calls (issue 29): the camera and screen sharing too, for this origin only
    "Permissions-Policy": "microphone=(self), camera=(self), display-capture=(self), geolocation=(), payment=()",
}


def security_headers(response):
    """after_request: a view that set its own policy (uploads) keeps it."""
    swagger = (request.endpoint or "").startswith("flasgger.") or request.path.startswith("/swagger/")
    response.headers.setdefault("Content-Security-Policy", SWAGGER_CSP if swagger else PAGE_CSP)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, and also whenever the
    request came over https (directly or through a trusted proxy), so the
    cookie of an https login never travels over plain http."""

    def get_cookie_secure(self, app):
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return has_request_context() and request.is_secure


def swagger_without_query():
    """before_request: Swagger UI takes its configuration from the query
    string (``?url=``, ``?configUrl=``), so a link could make the page show a
    spec from anywhere; the page is served only without one."""
    if request.endpoint == "flasgger.apidocs" and request.query_string:
        return redirect(request.path, code=302)
    return None


def init_app(app):
    app.before_request(swagger_without_query)
    app.session_interface = SessionInterface()
    proxies = settings(app).proxy_count
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def multi_node_reason(found: Settings):
    """Why these settings look like one node of several, or None."""
    bus = found.bus
    if bus == "none":
        return None
    if found.redis_url:
        return f"BUS={bus} with a Redis server (REDIS_URL)"
    if not (found.database_uri or "sqlite").startswith("sqlite"):
        return f"BUS={bus} with a database server"
    if bus == "udp" and not (found.udp_broadcast or "127.").startswith("127."):
        return "BUS=udp broadcasting on a LAN (UDP_BROADCAST)"
    return None
