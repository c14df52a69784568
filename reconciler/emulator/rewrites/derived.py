"""Values the service derives from the project on read: its URLs, cookie
names, and the fixed settings of the platform.

The project's domain is `<slug>.projects.oryapis.com`, as in project
documents returned by the production API.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.emulator.rewrites import keys

Document = dict[str, Any]

ALLOWED_RETURN_URLS = "selfservice.allowed_return_urls"

_CORS_DEFAULTS = {
    "allow_credentials": True,
    "allowed_headers": [
        "Accept",
        "Content-Type",
        "Content-Length",
        "Accept-Language",
        "Content-Language",
        "Authorization",
    ],
    "allowed_methods": [
        "POST",
        "GET",
        "PUT",
        "PATCH",
        "DELETE",
        "CONNECT",
        "HEAD",
        "OPTIONS",
        "TRACE",
    ],
    "debug": False,
    "enabled": False,
    "exposed_headers": [
        "Cache-Control",
        "Expires",
        "Last-Modified",
        "Pragma",
        "Content-Length",
        "Content-Language",
        "Content-Type",
    ],
    "max_age": 0,
}


def domain(project: Document) -> str:
    return f"{project['slug']}.projects.oryapis.com"


def own_url(project: Document) -> str:
    """The project's own URL, first of its allowed return URLs."""
    return f"https://{domain(project)}"


def values(project: Document, service: str) -> dict[str, Any]:
    """The derived values of `service`'s config, by dotted path."""
    url = own_url(project)
    host = domain(project)
    cookie_suffix = project["slug"].replace("-", "")
    if service == "identity":
        cors_public = project.get("cors_public") or {}
        return {
            "cookies.domain": host,
            "cookies.path": "/",
            "organizations": [],
            "serve.admin.base_url": f"{url}/",
            "serve.admin.request_log.disable_for_health": True,
            "serve.public.base_url": f"{url}/",
            "serve.public.cors.enabled": bool(cors_public.get("enabled", False)),
            "serve.public.request_log.disable_for_health": True,
            "session.cookie.domain": host,
            "session.cookie.name": f"ory_session_{cookie_suffix}",
            "session.cookie.path": "/",
        }
    if service == "oauth2":
        return {
            "clients.http.disallow_private_ip_ranges": True,
            "dev": True,
            "hsm.enabled": False,
            "oauth2.expose_internal_errors": True,
            "oauth2.hashers.algorithm": "pbkdf2",
            "oauth2.hashers.pbkdf2.iterations": 10000,
            "oauth2.session.encrypt_at_rest": True,
            **{
                f"serve.{api}.cors.{key}": copy.deepcopy(value)
                for api in ("admin", "public")
                for key, value in _CORS_DEFAULTS.items()
            },
            "serve.admin.tls.enabled": False,
            "serve.public.tls.enabled": False,
            "serve.tls.enabled": False,
            "serve.cookies.domain": host,
            **{
                f"serve.cookies.names.{name}": f"ory_oauth2_{name}_{cookie_suffix}"
                for name in ("consent_csrf", "login_csrf", "session_csrf")
            },
            "serve.cookies.secure": True,
            "urls.self.admin": f"{url}/admin",
            "urls.self.issuer": url,
            "urls.self.public": url,
            "webfinger.oidc_discovery.auth_url": f"{url}/oauth2/auth",
            "webfinger.oidc_discovery.jwks_url": f"{url}/.well-known/jwks.json",
            "webfinger.oidc_discovery.token_url": f"{url}/oauth2/token",
            "webfinger.oidc_discovery.userinfo_url": f"{url}/userinfo",
        }
    if service == "permission":
        return {"limit.max_read_depth": 3}
    return {}


def add(project: Document, service: str, config: dict[str, Any]) -> None:
    """Puts the derived values into `config`, as a read shows them.

    A managed key the user set keeps the user's value; the others always
    show the derived one.
    """
    entries = keys.table()["services"][service]["keys"]
    for path, value in values(project, service).items():
        if entries[path]["managed"] and keys.get(config, path) is not None:
            continue
        keys.put(config, path, value)
    if service == "identity":
        urls = keys.get(config, ALLOWED_RETURN_URLS) or []
        own = own_url(project)
        keys.put(config, ALLOWED_RETURN_URLS, [own, *(u for u in urls if u != own)])


def remove(project: Document, service: str, config: dict[str, Any]) -> None:
    """Takes out of a written `config` what a read would derive again."""
    entries = keys.table()["services"][service]["keys"]
    for path, value in values(project, service).items():
        if not entries[path]["managed"] or keys.get(config, path) == value:
            keys.delete(config, path)
    if service == "identity":
        urls = keys.get(config, ALLOWED_RETURN_URLS)
        if isinstance(urls, list):
            own = own_url(project)
            keys.put(config, ALLOWED_RETURN_URLS, [u for u in urls if u != own])
