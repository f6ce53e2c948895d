"""Templates render once per distinct value of what they read, and always as Jinja would."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fireline.domain.routing.template import render

TEMPLATES = [
    "{% if labels.severity == 'critical' %}{{ 'SEV2' if labels.region else 'SEV1' }}"
    "{%- elif labels.severity == 'warning' %}SEV3{% else %}SEV4{% endif %}",
    "{{ service }}/{{ labels.alertname }}/{{ labels['region'] }}",
    "{{ labels.alertname | lower }} in {{ labels.region | default('everywhere') }}",
    "{{ annotations.summary or summary }}",
    "{{ service }}/{{ labels.alertname or summary }}/{{ labels.region }}",
    "{{ labels.alertname or summary }}-{{ summary }}",  # summary also read unguarded
    "{{ labels.region or labels.alertname or summary }}",
    "{{ summary or labels.alertname }}{{ labels.alertname or summary }}",
    "{% if labels.severity or summary %}{{ summary }}{% endif %}",
    "{{ labels.instance or (summary | upper) }}",
    "{% for k, v in labels | dictsort %}{{ k }}={{ v }};{% endfor %}",  # reads labels whole
    "{{ labels.get('region', 'none') }}",  # a dict method, not a key
    "{{ labels.items }}",
    "{% set service = 'x' %}{{ service }}-{{ labels.region }}",  # rebinds a context name
    "{{ labels.region | random }}",  # never memoized
]
FRESH = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


class _Counting(dict[str, str]):
    """Labels that count Jinja's item lookups."""

    lookups = 0

    def __getitem__(self, key: str) -> str:
        type(self).lookups += 1
        return super().__getitem__(key)


values = st.sampled_from(["critical", "warning", "info", "", "eu-west-1", "Queue", "items"])
labels = st.dictionaries(
    st.sampled_from(["severity", "region", "alertname", "instance", "get", "items"]), values
)


def _context(label_values: dict[str, str], summary: str) -> dict[str, Any]:
    return {
        "labels": label_values,
        "annotations": {"summary": summary.upper()} if summary else {},
        "summary": summary,
        "service": "job-queue",
    }


@given(label_values=labels, summary=st.sampled_from(["", "disk full", "queue slow"]))
def test_a_memoized_render_is_what_jinja_renders(
    label_values: dict[str, str], summary: str
) -> None:
    context = _context(label_values, summary)
    for source in TEMPLATES[:-1]:
        expected = FRESH.from_string(source).render(context).strip()
        assert render(source, context) == expected, source
        assert render(source, dict(context)) == expected, source  # again: from the memo


def test_alerts_that_differ_only_in_what_a_template_ignores_render_it_once() -> None:
    source = "{{ labels.alertname }}/{{ labels.region }} (memo test)"
    _Counting.lookups = 0
    texts = {
        render(source, _context(_Counting(alertname="Q", region="eu", instance=f"i{n}"), ""))
        for n in range(50)
    }
    assert texts == {"Q/eu (memo test)"}
    assert _Counting.lookups == 2  # the first alert only: alertname and region
    assert render(source, _context(_Counting(alertname="Q", region="us"), "")) == "Q/us (memo test)"
    assert _Counting.lookups == 4


def test_what_only_the_right_of_an_or_reads_counts_only_when_the_left_is_falsy() -> None:
    source = "{{ labels.alertname or summary }}/{{ labels.region }} (or test)"
    _Counting.lookups = 0
    texts = {
        render(source, _context(_Counting(alertname="Q", region="eu"), f"summary {n}"))
        for n in range(50)
    }
    assert texts == {"Q/eu (or test)"}
    assert _Counting.lookups == 2
    assert render(source, _context(_Counting(region="eu"), "disk")) == "disk/eu (or test)"
    assert render(source, _context(_Counting(region="eu"), "queue")) == "queue/eu (or test)"
    assert render(source, _context(_Counting(alertname="", region="eu"), "q")) == "q/eu (or test)"


def test_a_template_that_reads_labels_whole_renders_every_time() -> None:
    source = "{% for k in labels | sort %}{{ k }}{% endfor %} (memo test)"
    _Counting.lookups = 0
    first = render(source, _context(_Counting(b="1", a="2"), ""))
    second = render(source, _context(_Counting(b="1", a="2", c="3"), ""))
    assert (first, second) == ("ab (memo test)", "abc (memo test)")
