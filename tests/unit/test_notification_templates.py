"""Every catalogued message renders in English and Indonesian, escaped, with Babel formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.catalogue import EVENTS, LOCALES, MANDATORY
from notifications.render import TEMPLATES, format_rupiah, format_when, render, render_feed

CASES = [(event, locale) for event in sorted(EVENTS) for locale in LOCALES]


@pytest.mark.parametrize(("event", "locale"), CASES)
def test_every_event_renders_subject_text_and_html_in_each_language(event: str, locale: str) -> None:
    spec = EVENTS[event]

    rendered = render(event, locale, spec.sample, strict=True)

    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    greeting = "Hello" if locale == "en" else "Halo"
    assert rendered.text.startswith(f"{greeting} {spec.sample['name']},\n")
    assert f'<html lang="{locale}">' in rendered.html
    assert f"<title>{rendered.subject}</title>" in rendered.html.replace("&#34;", '"').replace("&#39;", "'")
    assert "{{" not in rendered.text and "{%" not in rendered.html
    footer = (
        ("cannot be turned off" if locale == "en" else "tidak dapat dimatikan")
        if (spec.category in MANDATORY)
        else ("preferences" if locale == "en" else "preferensi")
    )
    assert footer in rendered.text


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_english_and_indonesian_subjects_differ(event: str) -> None:
    sample = EVENTS[event].sample
    assert render(event, "en", sample).subject != render(event, "id", sample).subject


def test_every_catalogued_event_has_a_template_per_language_and_no_template_is_orphaned() -> None:
    files = {(p.parent.name, p.name.removesuffix(".jinja")) for p in Path(TEMPLATES).glob("*/*.jinja")}
    expected = {(locale, event) for event in EVENTS for locale in LOCALES}
    assert files == expected


def test_rupiah_is_formatted_with_indonesian_grouping_and_no_decimals() -> None:
    assert format_rupiah(1_500_000, "id") == "Rp1.500.000"
    assert format_rupiah(1_500_000, "en") == "Rp1.500.000"
    rendered = render("investment.intent_created", "id", EVENTS["investment.intent_created"].sample)
    assert "Rp1.500.000" in rendered.text and "Rp1.500.000" in rendered.html


def test_dates_are_shown_in_jakarta_time_in_the_recipients_language() -> None:
    assert format_when("2025-03-14T03:30:00+00:00", "id") == "14 Maret 2025, 10:30 WIB"
    assert format_when("2025-03-14T03:30:00+00:00", "en") == "14 March 2025, 10:30 WIB"
    assert format_when("2025-12-31T20:00:00+00:00", "en", with_time=False) == "1 January 2026"


def test_html_escapes_context_values_and_text_keeps_them_verbatim() -> None:
    context = {"name": "<script>x</script>", "reason": 'Tom & "Jerry" <b>'}

    rendered = render("kyc.rejected", "en", context)

    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "Tom &amp; &#34;Jerry&#34; &lt;b&gt;" in rendered.html
    assert 'Reason: Tom & "Jerry" <b>' in rendered.text


def test_templates_are_sandboxed() -> None:
    from jinja2.exceptions import SecurityError

    from notifications.render import environment

    with pytest.raises(SecurityError):
        environment("text").from_string("{{ x.__class__.__subclasses__() }}").render(x=str)
    with pytest.raises(SecurityError):
        environment("html").from_string("{{ x.__globals__.keys() }}").render(x=render)


def test_unknown_locale_falls_back_to_english() -> None:
    assert render("kyc.approved", "fr", EVENTS["kyc.approved"].sample).subject == (
        "Your identity verification is approved"
    )


def test_feed_copy_has_title_body_and_link_without_layout() -> None:
    title, body, link = render_feed("account.verify_email", "id", EVENTS["account.verify_email"].sample)

    assert title == "Konfirmasi alamat email Anda"
    assert body.startswith("Terima kasih telah mendaftar") and "Halo" not in body
    assert link == "https://app.partisipro.id/verify?token=abc"
