"""The site's header and footer, rendered once per process for each variant and reused.

They look the same on every page for everyone with the same interface language and roles; only the form token,
the page's own address (where the language switch returns) and the person's name change. So each variant is
rendered once, with placeholders for those three, and every page fills them in. Rendering them each time (the
translations and the links are most of it) cost 1 to 2 ms more per page (bench/layout_render.py; RESULTS.md,
sixth session), which counts when a cohort opens an exam at the same moment.
"""
from __future__ import annotations

import re

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from lms.i18n import LANGUAGES

# private-use characters, which no translation or link contains
_TOKEN, _NEXT, _NAME = "\ue000token\ue000", "\ue000next\ue000", "\ue000name\ue000"
_PLACEHOLDER = re.compile("\ue000(?:token|next|name)\ue000")
_CACHE_MAX = 512        # variants: languages x sign-in state x role sets x mount points; a handful in practice


def _variant(template: str, key: tuple, **context) -> str:
    if current_app.debug:           # the templates may change under a development server
        return render_template(template, **context)
    cache = current_app.extensions.setdefault("lms.layout", {})
    html = cache.get(key)
    if html is None:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        html = cache[key] = render_template(template, **context)
    return html


def site_header() -> Markup:
    """The header: brand, the navigation this person may use, the language switch, the account links."""
    user = current_user
    authenticated = bool(getattr(user, "is_authenticated", False))
    roles = frozenset(user.role_names) if authenticated else frozenset()
    locale = str(get_locale())
    html = _variant("layout/header.html", ("header", locale, request.script_root, authenticated, roles),
                    authenticated=authenticated, roles=roles, current_locale=locale, LANGUAGES=LANGUAGES,
                    token=_TOKEN, next=_NEXT, display_name=_NAME)
    values = {_TOKEN: generate_csrf(), _NEXT: str(escape(request.full_path.rstrip("?"))),
              _NAME: str(escape(user.display_name)) if authenticated else ""}
    # in one pass, so that a value (the address is the visitor's to choose) is never searched for placeholders
    return Markup(_PLACEHOLDER.sub(lambda m: values[m.group(0)], html))


def site_footer() -> Markup:
    return Markup(_variant("layout/footer.html", ("footer", str(get_locale()), request.script_root)))
