"""The portal's faster `html_params` writes exactly what WTForms' own writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from portal.web import forms

keys = st.sampled_from(
    [
        "class_",
        "id",
        "name",
        "value",
        "for_",
        "data_x_y",
        "aria_describedby",
        "aria-invalid",
        "maxlength",
        "type",
    ]
)
plain = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
values = st.one_of(
    st.booleans(),
    st.integers(-5, 5000),
    plain,
    plain.map(Markup),
    st.sampled_from(['a"b', "<x>", "&amp;", "'"]),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_html_params_match_wtforms(attributes):
    ours = forms.html_params(**attributes)
    theirs = forms.WTFORMS_HTML_PARAMS(**attributes)
    assert ours == theirs
    assert isinstance(ours, Markup)


def test_widgets_use_the_portal_html_params():
    from wtforms.widgets import core

    assert core.html_params is forms.html_params
    assert core.Input.html_params is forms.html_params
