"""HTTP shell: the interactive API reference — Swagger UI at `/docs`, ReDoc at `/redoc` — that
works on an isolated network and under the site's Content-Security-Policy.

FastAPI's own pages load their scripts from a CDN, which the site policy (`default-src 'none'`)
blocks and an isolated network cannot reach. Here the scripts and stylesheet come from the
pinned `fastapi-offline` package and are served by the service itself under `/docs/assets`.
The page HTML is still FastAPI's (kept in step with the bundled Swagger UI by its maintainers);
only these two pages get a wider policy, and it is computed from the page itself: its one
inline script is allowed by its SHA-256 hash, never by `'unsafe-inline'`. Styles need
`'unsafe-inline'` (both UIs set style attributes and inject `<style>` elements), images may be
`data:` URIs (Swagger UI's icons), ReDoc runs its search in a `blob:` worker, and "Try it out"
calls the API on the same origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_PATH: Final = "/docs"
REDOC_PATH: Final = "/redoc"
ASSETS_PATH: Final = "/docs/assets"
ASSETS_DIRECTORY: Final = Path(fastapi_offline.__file__).parent / "static"
"""swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and favicon.png."""

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The Content-Security-Policy for one docs page: the site policy's `default-src 'none'`
    opened only for what the page's own HTML and the bundled UIs need."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    script_src = f"script-src 'self' {hashes}".rstrip()
    return (
        f"default-src 'none'; {script_src}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(html)})


def install_docs_pages(app: FastAPI) -> None:
    """Add `/docs`, `/redoc` and their assets to `app` (whose `openapi_url` must be set)."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("install_docs_pages: the app serves no OpenAPI document")
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIRECTORY), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} · Swagger UI",
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                swagger_ui_parameters={"persistAuthorization": False, "tryItOutEnabled": False},
            )
        )

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} · ReDoc",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
                with_google_fonts=False,
            )
        )
