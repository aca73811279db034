"""Helpers for tests of mails: what a reader sees of an HTML part."""

import html as html_lib
import re


def visible(html: str) -> str:
    """The text an HTML part shows, tags dropped and spaces collapsed (the styles of the
    <style> block are not text a reader sees)."""
    body = re.sub(r"<style[^>]*>.*?</style>", " ", html, flags=re.DOTALL)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", body)).split())
