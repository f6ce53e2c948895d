"""TLS on loopback for tests: a throwaway CA and an ASGI app served over https on port 0.

    tls = LoopbackTls()
    with serving_tls(app, tls) as url:  # https://127.0.0.1:<port>
        httpx.Client(base_url=url, verify=tls.client_context())

The CA and the server's certificate (for the IP address 127.0.0.1) are made in memory by
`trustme`; uvicorn gets its SSLContext through `ssl_context_factory`, so no key touches the
disk. Only clients handed `client_context()` trust the CA: nothing is added to the system's
trust store, and a client that was not given it fails the handshake.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trustme
import uvicorn
from starlette.types import ASGIApp

from tests.support.server import serving

HOST = "127.0.0.1"


class LoopbackTls:
    """A fresh CA and a server certificate it issued for 127.0.0.1."""

    def __init__(self) -> None:
        self.ca = trustme.CA(organization_name="Fireline tests")
        self._leaf = self.ca.issue_cert(HOST)

    def server_context(self) -> ssl.SSLContext:
        """Return a server-side context presenting the loopback certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Return a client-side context that trusts this CA (and verifies the host name)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.ca.configure_trust(context)
        return context


def _context_factory(tls: LoopbackTls) -> Callable[..., ssl.SSLContext]:
    def factory(_config: uvicorn.Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return tls.server_context()

    return factory


@contextmanager
def serving_tls(app: ASGIApp, tls: LoopbackTls) -> Iterator[str]:
    """Serve `app` over https on 127.0.0.1 at a free port; yield its base URL; stop it after."""
    with serving(app, scheme="https", ssl_context_factory=_context_factory(tls)) as url:
        yield url
