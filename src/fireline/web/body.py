"""Reading a request body with a size limit, for endpoints that take bodies from outside."""

from __future__ import annotations

from starlette.requests import Request

from fireline.domain.errors import TooLarge

MAX_BODY = 1024 * 1024


async def read_body(request: Request, *, limit: int = MAX_BODY) -> bytes:
    """Read at most `limit` bytes (413 before reading when Content-Length says more)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
