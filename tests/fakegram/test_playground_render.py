"""The playground shows messages from their entities, escaping everything else: what a
person typed can never become markup on the page."""

from fakegram.htmltext import parse_html
from fakegram.playground.render import message_html


def test_an_answer_that_looks_like_html_shows_as_its_characters() -> None:
    answer = '<img src=x onerror="alert(1)"> & <script>alert(2)</script>'
    shown = message_html(answer)
    assert "<img" not in shown and "<script" not in shown
    assert shown == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;script&gt;alert(2)&lt;/script&gt;"
    )


def test_an_answer_quoted_inside_the_bots_formatting_stays_text() -> None:
    # The bot escapes the answer and wraps it in tags; the fake parses that like Telegram.
    text, entities = parse_html("<b>Sam:</b> <i>&lt;img src=x onerror=alert(1)&gt;</i>")
    shown = message_html(text, entities)
    assert shown == "<b>Sam:</b> <i>&lt;img src=x onerror=alert(1)&gt;</i>"


def test_telegram_formatting_becomes_the_same_few_tags() -> None:
    text, entities = parse_html(
        "<b>Bold <i>both</i></b> <u>u</u> <s>s</s> <code>c</code> "
        '<tg-spoiler>hidden</tg-spoiler> <a href="https://t.me/couplet_demo_bot?start=abc">link</a>'
        "\n<blockquote>quoted</blockquote>"
    )
    assert message_html(text, entities) == (
        "<b>Bold <i>both</i></b> <u>u</u> <s>s</s> <code>c</code> "
        '<span class="spoiler">hidden</span> '
        '<a href="https://t.me/couplet_demo_bot?start=abc" target="_blank" '
        'rel="noopener noreferrer">link</a>\n<blockquote>quoted</blockquote>'
    )


def test_a_link_to_anything_but_the_web_or_telegram_is_dropped() -> None:
    text = "click me"
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", 'https://x" onclick="a'):
        entities = [{"type": "text_link", "offset": 0, "length": 5, "url": url}]
        assert message_html(text, entities) == "click me"


def test_offsets_count_utf16_units_like_telegram() -> None:
    text, entities = parse_html("💞 <b>Zoë</b> and <i>Саша</i> 👋")
    assert message_html(text, entities) == "💞 <b>Zoë</b> and <i>Саша</i> 👋"


def test_overlapping_entities_still_nest_properly() -> None:
    entities = [
        {"type": "bold", "offset": 0, "length": 6},
        {"type": "italic", "offset": 3, "length": 6},
    ]
    assert message_html("abcdefghi", entities) == "<b>abc<i>def</i></b><i>ghi</i>"


def test_entities_out_of_range_or_of_unknown_kinds_are_ignored() -> None:
    entities = [
        {"type": "bold", "offset": 40, "length": 3},
        {"type": "mention", "offset": 0, "length": 3},
        {"type": "bold", "offset": "0", "length": 3},
        {"type": "italic", "offset": 2, "length": 99},
    ]
    assert message_html("hey you", entities) == "he<i>y you</i>"


def test_plain_web_addresses_become_links_with_the_text_escaped() -> None:
    shown = message_html("Open https://t.me/couplet_demo_bot?start=abc&x=1. <b>")
    assert shown == (
        'Open <a href="https://t.me/couplet_demo_bot?start=abc&amp;x=1" target="_blank" '
        'rel="noopener noreferrer">https://t.me/couplet_demo_bot?start=abc&amp;x=1</a>. &lt;b&gt;'
    )
