"""The company logo as a response: one definition for every page that shows it."""

from flask import Response, abort, make_response, request

from models import Settings, db


def logo_response() -> Response:
    """The logo as uploaded, revalidated by its ETag on every use.

    :raise 404: no logo.
    """
    settings = db.session.get(Settings, 1)
    if settings is None or settings.logo is None:
        abort(404)
    response = make_response(settings.logo)
    response.mimetype = settings.logo_mimetype
    # Served as exactly the type Pillow recognised, never sniffed into something else.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)
