"""Summaries as readers get them: plain text, and the links it carried kept beside it.

CECC's narratives are HTML (`<A HREF="http://…">sentenced</A>`, `&rsquo;`). The build stores every person's
summary as text (tags dropped, entities decoded) in persons.summary, so tables, JSON, CSV, feeds and popups show
words, never markup; its links to http(s) addresses go to persons.summary_links as
[{"text": "sentenced", "url": "http://…"}], in order, for the person page to link those words again.
The upstream text stays as given in records.raw. nh3 (a maintained sanitiser) decides what survives: only
<a href> to http(s) addresses; the standard library's parser then reads its safe output.
"""

import json
from functools import lru_cache
from html.parser import HTMLParser

import nh3

URL_SCHEMES = {"http", "https"}


def sanitised(html):
    """The summary with every tag but <a href="http(s)://…"> removed (and script or style contents with them)."""
    return nh3.clean(html, tags={"a"}, attributes={"a": {"href"}}, url_schemes=URL_SCHEMES, url_relative="deny",
                     link_rel=None)


class _TextAndLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)  # entities decoded
        self.text, self.links, self.href, self.words = [], [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href, self.words = (dict(attrs).get("href") or "").strip(), []

    def handle_endtag(self, tag):
        words = "".join(self.words)
        if tag == "a" and self.href and words.strip():
            self.links.append({"text": words, "url": self.href})
        self.href = None

    def handle_data(self, data):
        self.text.append(data)
        if self.href:
            self.words.append(data)


@lru_cache(maxsize=4096)  # the build asks for the text and the links of each summary
def text_and_links(summary):
    """(plain text, links as a JSON array or None) of a summary that may hold HTML."""
    if not summary:
        return summary, None
    parser = _TextAndLinks()
    parser.feed(sanitised(summary))
    parser.close()
    links = json.dumps(parser.links, ensure_ascii=False) if parser.links else None
    return "".join(parser.text).strip(), links


def summary_text(summary):
    return text_and_links(summary)[0]


def summary_links(summary):
    return text_and_links(summary)[1]

