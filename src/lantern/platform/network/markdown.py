"""Briefing notes are markdown written by coordinators: rendered with raw HTML escaped (never passed through),
no images (nothing fetched from elsewhere) and only http(s) / mailto links, opened without a referrer."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_ALLOWED = ("http://", "https://", "mailto:", "#", "/")


def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")
    md.validateLink = lambda url: url.strip().lower().startswith(_ALLOWED)

    def link_open(self, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_RENDERER = _md()


def render_markdown(text: str) -> SafeString:
    return mark_safe(_RENDERER.render(text or ""))  # noqa: S308 - raw HTML is escaped by html=False
