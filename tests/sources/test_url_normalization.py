import pytest

from sources.url_normalization import normalize_url


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/news/story",
        "http://example.com/news/story/",
        "https://WWW.Example.COM/news/story//",
        "example.com/news/story",
        "www.example.com/news/story/",
        "https://example.com:443/news/story",
        "https://example.com/news/story?utm_source=twitter&utm_medium=social",
        "https://example.com/news/story?fbclid=IwAR0abc",
        "https://example.com/news/story/?gclid=xyz&UTM_Campaign=spring",
        "https://example.com/news/story#comments",
    ],
)
def test_normalize_url_gives_one_form_for_every_address_of_a_document(url):
    assert normalize_url(url) == "example.com/news/story"


def test_normalize_url_keeps_parameters_that_identify_the_document_in_their_order():
    url = "https://www.example.com/article.php?id=42&utm_source=rss&page=2&fbclid=abc"

    assert normalize_url(url) == "example.com/article.php?id=42&page=2"


def test_normalize_url_keeps_the_case_of_the_path():
    assert normalize_url("https://example.com/News/Story") == "example.com/News/Story"


def test_normalize_url_keeps_a_port_that_is_not_the_default():
    assert normalize_url("http://www.example.com:8080/a/") == "example.com:8080/a"


def test_normalize_url_drops_only_a_leading_www():
    assert normalize_url("https://news.www.example.com/a") == "news.www.example.com/a"
    assert normalize_url("https://wwwexample.com/a") == "wwwexample.com/a"


def test_normalize_url_of_a_home_page_is_its_host():
    assert normalize_url("https://www.reuters.com/") == "reuters.com"


def test_normalize_url_of_blank_input_is_empty():
    assert normalize_url("") == ""
    assert normalize_url("   ") == ""


def test_normalize_url_ignores_surrounding_whitespace():
    assert normalize_url("  https://example.com/a/  ") == "example.com/a"


def test_normalize_url_keeps_an_ipv6_host_whole():
    assert normalize_url("http://[2001:db8::1]/a/") == "[2001:db8::1]/a"


def test_normalize_url_returns_text_that_is_no_address_only_stripped():
    assert normalize_url(" http://[not-closed ") == "http://[not-closed"
