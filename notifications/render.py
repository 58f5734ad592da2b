"""Rendering: one jinja2 template per event and locale, two layouts (HTML and plain text).

``templates/<locale>/<event>.jinja`` defines the blocks ``subject``, ``body`` (paragraphs
separated by blank lines) and optionally ``action_url``/``action_label``; it starts with
``{% extends layout %}`` and is compiled twice: by an autoescaping sandboxed environment
against ``base.html`` and by a non-escaping sandboxed environment against ``base.txt``.
Money and dates are formatted with Babel in the recipient's language, times in Asia/Jakarta.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, get_timezone
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, Undefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from notifications.catalogue import LOCALES, get_event

TEMPLATES = Path(__file__).resolve().parent / "templates"
TIMEZONE = "Asia/Jakarta"
BABEL_LOCALES = {"en": "en_ID", "id": "id_ID"}

# Strings of the layouts, per language.
LAYOUT: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello",
        "signature": "The Partisipro team",
        "mandatory": "You receive this {category} notice because it is required for your account; it cannot be "
        "turned off.",
        "optional": "You receive this because {category} notices are on in your notification preferences.",
        "security": "security",
        "regulatory": "regulatory",
        "portfolio": "portfolio",
        "marketing": "marketing",
    },
    "id": {
        "greeting": "Halo",
        "signature": "Tim Partisipro",
        "mandatory": "Anda menerima pemberitahuan {category} ini karena diwajibkan untuk akun Anda; pemberitahuan "
        "ini tidak dapat dimatikan.",
        "optional": "Anda menerima ini karena pemberitahuan {category} aktif di preferensi notifikasi Anda.",
        "security": "keamanan",
        "regulatory": "regulasi",
        "portfolio": "portofolio",
        "marketing": "pemasaran",
    },
}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str | None


def normalise_locale(locale: str | None) -> str:
    base = (locale or "en").replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else "en"


def _spaces(value: str) -> str:
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value)
    else:
        raise TypeError(f"not a datetime: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def format_rupiah(value: Any, locale: str) -> str:
    """Integer rupiah as ``Rp1.500.000`` (both languages use Indonesian grouping)."""
    amount = int(value)
    text = format_currency(
        amount, "IDR", locale=BABEL_LOCALES[normalise_locale(locale)], format="¤#,##0", currency_digits=False
    )
    return _spaces(text)


def format_when(value: Any, locale: str, *, with_time: bool = True) -> str:
    pattern = "d MMMM y, HH:mm zzz" if with_time else "d MMMM y"
    text = format_datetime(
        _as_datetime(value), pattern, tzinfo=get_timezone(TIMEZONE), locale=BABEL_LOCALES[normalise_locale(locale)]
    )
    return _spaces(text)


def format_number(value: Any, locale: str) -> str:
    return _spaces(format_decimal(value, locale=BABEL_LOCALES[normalise_locale(locale)]))


@pass_context
def _rupiah(ctx: Context, value: Any) -> str:
    return format_rupiah(value, ctx.get("locale", "en"))


@pass_context
def _datetime(ctx: Context, value: Any) -> str:
    return format_when(value, ctx.get("locale", "en"))


@pass_context
def _date(ctx: Context, value: Any) -> str:
    return format_when(value, ctx.get("locale", "en"), with_time=False)


@pass_context
def _number(ctx: Context, value: Any) -> str:
    return format_number(value, ctx.get("locale", "en"))


def _paragraphs_html(value: str) -> Markup:
    """Blank-line separated paragraphs (already escaped by autoescape) as <p> elements."""
    text = value if isinstance(value, Markup) else Markup.escape(value)
    parts = [part.strip() for part in re.split(r"\n\s*\n", str(text)) if part.strip()]
    opening = Markup('<p style="margin:0 0 16px 0;line-height:1.5">')
    # ``part`` is a slice of text autoescape already escaped: marking it safe again is correct.
    return Markup("\n").join(opening + Markup(part) + Markup("</p>") for part in parts)  # noqa: S704


def _paragraphs_text(value: str) -> str:
    parts = [" ".join(part.split()) for part in re.split(r"\n\s*\n", str(value)) if part.strip()]
    return "\n\n".join(parts)


@lru_cache(maxsize=4)
def environment(kind: str, *, strict: bool = False) -> SandboxedEnvironment:
    """The sandboxed environment for ``kind`` ``html`` (autoescaped) or ``text``."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=kind == "html",
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["rupiah"] = _rupiah
    env.filters["datetime"] = _datetime
    env.filters["date"] = _date
    env.filters["number"] = _number
    env.filters["paragraphs"] = _paragraphs_html if kind == "html" else _paragraphs_text
    return env


def template_name(event: str, locale: str) -> str:
    return f"{normalise_locale(locale)}/{event}.jinja"


def _block(template: Any, context: Any, name: str) -> str:
    if name not in template.blocks:
        return ""
    return "".join(template.blocks[name](context))


def render(event: str, locale: str, context: dict[str, Any], *, strict: bool = False) -> Rendered:
    """Subject, plain text and HTML of ``event`` for a recipient speaking ``locale``."""
    spec = get_event(event)
    lang = normalise_locale(locale)
    strings = LAYOUT[lang]
    category_label = strings[spec.category]
    footer_key = "mandatory" if spec.category in {"security", "regulatory"} else "optional"
    variables = {
        **context,
        "locale": lang,
        "layout_strings": strings,
        "footer": strings[footer_key].format(category=category_label),
        "event": event,
    }
    variables.setdefault("name", "")
    name = template_name(event, lang)
    html_template = environment("html", strict=strict).get_template(name)
    text_template = environment("text", strict=strict).get_template(name)
    html = html_template.render({**variables, "layout": "base.html"})
    text = text_template.render({**variables, "layout": "base.txt"})
    block_context = text_template.new_context({**variables, "layout": "base.txt"})
    subject = " ".join(_block(text_template, block_context, "subject").split())
    link = " ".join(_block(text_template, block_context, "action_url").split()) or None
    return Rendered(subject=subject, text=text.strip() + "\n", html=html, link=link)


def render_feed(event: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
    """Title, plain body and link of the in-app copy."""
    spec = get_event(event)
    lang = normalise_locale(locale)
    template = environment("text").get_template(template_name(spec.name, lang))
    ctx = template.new_context({**context, "locale": lang, "layout": "base.txt", "name": context.get("name", "")})
    title = " ".join(_block(template, ctx, "subject").split())
    body = _paragraphs_text(_block(template, ctx, "body"))
    link = " ".join(_block(template, ctx, "action_url").split()) or None
    return title, body, link
