"""GET /docs: the interactive API reference, Swagger UI over /openapi.json, its files served
from node_modules/swagger-ui-dist (installed by `make install`), never from a CDN."""

from __future__ import annotations

from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from lib import errors
from lib.routing import ROUTES_FILE

SWAGGER_UI = ROUTES_FILE.parent.parent / "node_modules" / "swagger-ui-dist"
# The only files the page loads; any other name is not found.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})

# validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Wellness API reference</title>
  <link rel="icon" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      docExpansion: "list",
      displayOperationId: true
    });
  </script>
</body>
</html>
"""


def page(request: Request) -> Response:
    return Response(PAGE, mimetype="text/html")


def asset(request: Request, name: str) -> Response:
    if name not in ASSETS:
        raise errors.NotFound(f"no reference file {name!r}")
    path = SWAGGER_UI / name
    if not path.is_file():
        raise errors.Unavailable("swagger-ui-dist is not installed; run make install")
    return send_file(path, request.environ, max_age=3600)
