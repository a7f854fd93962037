"""``LoopbackServer``: the one way the suite serves an app (the fakes, the browser tests' app)."""

import urllib.error
import urllib.request

import pytest

from tests.serving import LoopbackServer


def hello(environ, start_response):
    """A WSGI app that names the path it was asked for."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"hello {environ['PATH_INFO']}".encode()]


def test_serves_on_a_free_port_until_the_block_ends():
    with LoopbackServer(hello) as server:
        url = server.url
        assert server.port != 0 and url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{url}/ping", timeout=5) as response:
            assert response.read() == b"hello /ping"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/ping", timeout=5)
    with pytest.raises(RuntimeError, match="not started"):
        server.url  # noqa: B018 (the property raises)


def test_a_wildcard_host_is_reached_on_loopback():
    with LoopbackServer(hello, host="0.0.0.0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert response.read() == b"hello /"
