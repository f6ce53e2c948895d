"""FastJSONResponse writes the same bytes as Starlette's JSONResponse for intake's answers."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from fireline.web.fast_json import FastJSONResponse

plain_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(plain_json)
def test_the_bytes_are_starlettes(content: Any) -> None:
    assert FastJSONResponse(content).body == JSONResponse(content).body


def test_an_intake_summary_keeps_its_status_and_media_type() -> None:
    summary = {"status": "ok", "alerts": 1, "incidents": ["INC-7"], "problems": ["é € \u2028"]}
    response = FastJSONResponse(summary, status_code=202)
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"
    assert response.body == JSONResponse(summary).body
