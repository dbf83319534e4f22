"""The comparison form of a source URL: two addresses of one document give the same string.

Plain Python, no Django, shared by the admin and the claimset importer: `sources_source_unique_url`
is a unique constraint on this form, so both must compute it the same way.
"""

from urllib.parse import urlsplit

__all__ = ["normalize_url"]

# Click and campaign identifiers that analytics tools append to a link. They say who shared the
# link, never which document it is. Compared case-insensitively.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
TRACKING_PARAMETER_PREFIXES = ("utm_",)
DEFAULT_PORTS = frozenset({"80", "443"})


def normalize_url(url: str) -> str:
    """Return url without what does not identify the document.

    Dropped: the scheme, a leading `www.`, the default ports 80 and 443, trailing slashes of
    the path, tracking parameters (utm_*, fbclid, gclid and the like, see TRACKING_PARAMETERS)
    and the fragment (it never reaches the server). The host is lower-cased; the path and the
    remaining parameters keep their case, spelling and order, because servers may treat them
    as significant. An address without a scheme ("www.example.com/a") is read as one with a
    scheme. Blank input gives ""; text that is no address at all comes back only stripped.

    >>> normalize_url("https://www.Example.com/news/story/?utm_source=tw&id=7#top")
    'example.com/news/story?id=7'
    """
    text = url.strip()
    if not text:
        return ""
    if "://" not in text and not text.startswith("//"):
        text = "//" + text  # urlsplit reads a scheme-less address as a bare path
    try:
        parts = urlsplit(text)
    except ValueError:  # not an address at all ("http://[abc"): compared as it was written
        return url.strip()
    host = _normalize_host(parts.netloc)
    path = parts.path.rstrip("/")
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking_parameter(pair)
    )
    return f"{host}{path}?{query}" if query else f"{host}{path}"


def _normalize_host(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.lower().rpartition(":")
    if not colon or "]" in port:  # no port, or the colon was inside an IPv6 address
        host, port = hostport.lower(), ""
    host = host.rstrip(".").removeprefix("www.")
    if port and port not in DEFAULT_PORTS:
        host = f"{host}:{port}"
    return f"{userinfo}{at}{host}"


def _is_tracking_parameter(pair: str) -> bool:
    name = pair.partition("=")[0].lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PARAMETER_PREFIXES)
