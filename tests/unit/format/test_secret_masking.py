"""Secrets: which variables count, and that their values reach no message, log or journal.

The README's promise: a variable declared ``secret: true``, or whose name contains token,
password, secret, key or credential in any case and position, is a secret. Its value is
masked in validation messages (which quote the values they find), in log lines (nested fields
too) and in the journal, whose JSON escapes would otherwise hide it from a plain replace.
"""

from __future__ import annotations

import json
import textwrap

import pytest
import structlog

from chaosrunner.adapters import logs
from chaosrunner.adapters.redact import MASK, Redactor
from chaosrunner.core import validate
from tests.support import BASE, experiment

SECRET = "s3cr3t-value-42"


def with_variable(name: str, field: str = "owner", value: str | None = None) -> str:
    decl = f"    {name}: {{default: {json.dumps(value or SECRET)}}}\n"
    text = BASE.replace("spec:\n", f"spec:\n  variables:\n{decl}", 1)
    return text.replace(f"{field}: sre", f"{field}: '${{{name}}}'")


@pytest.mark.parametrize(
    "name",
    ["ACCESS_KEY", "PRIVATE_KEY", "dbPassword", "apiToken", "Credentials", "client_secret",
     "DB_PASSWD", "sshKeyFile", "GITHUB_TOKEN", "password", "aws_secret_access_key"],
)  # fmt: skip
def test_every_spelling_the_readme_promises_is_a_secret(name: str) -> None:
    exp = experiment(with_variable(name))
    assert exp.secrets == frozenset({SECRET})
    assert Redactor(exp.secrets).text(f"owner={exp.metadata.owner}") == f"owner={MASK}"


@pytest.mark.parametrize("name", ["latency", "rps", "owner_team", "monitor"])
def test_ordinary_names_are_not_secrets(name: str) -> None:
    assert experiment(with_variable(name)).secrets == frozenset()


def test_a_declared_secret_counts_whatever_its_name() -> None:
    text = with_variable("plain").replace(
        f"plain: {{default: {json.dumps(SECRET)}}}",
        f"plain: {{default: {json.dumps(SECRET)}, secret: true}}",
    )
    assert experiment(text).secrets == frozenset({SECRET})


def problems(text: str, **cli_vars: str) -> list[str]:
    found = validate.check(textwrap.dedent(text), "exp.yaml", cli_vars=cli_vars, environ={})
    return [str(p) for p in found]


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        pytest.param("pattern", "probeInterval: 1s", "probeInterval: '${dbPassword}'", id="duration-pattern"),
        pytest.param("type", "maxTargets", "", id="type"),
        pytest.param("url", 'url: "http://127.0.0.1:9"', 'url: "${dbPassword}"', id="url"),
        pytest.param("objective", 'objective: "<= 200ms"', 'objective: "${dbPassword}"', id="objective"),
        pytest.param("kind-check", "type: process-pause", "type: network-delay\n      params: {latency: '${dbPassword}'}", id="fault-param"),
    ],
)  # fmt: skip
def test_a_secret_in_a_failing_field_is_never_echoed(field: str, old: str, new: str) -> None:
    text = BASE.replace("spec:\n", "spec:\n  variables:\n    dbPassword: {default: x}\n", 1)
    if field == "type":
        text = text.replace(
            "  schedule:", "  blastRadius: {maxTargets: '${dbPassword}'}\n  schedule:"
        )
    else:
        assert old in text
        text = text.replace(old, new)
    found = problems(text, dbPassword=SECRET)
    assert found, "the secret's field must fail validation"
    assert not any(SECRET in p for p in found), found
    assert any(MASK in p for p in found), found


def test_a_short_secret_is_masked_in_its_own_field_without_garbling_others() -> None:
    text = BASE.replace("probeInterval: 1s", "probeInterval: '${apiToken}'")
    found = problems(text, apiToken="abc")
    assert any("spec.schedule.probeInterval: '***' is not valid" in p for p in found), found
    assert not any("'abc'" in p for p in found)


def test_a_secret_default_of_the_wrong_type_is_not_quoted() -> None:
    text = BASE.replace(
        "spec:\n", "spec:\n  variables:\n    apiToken: {default: [hunter2-token]}\n", 1
    )
    found = problems(text)
    assert any("spec.variables.apiToken.default" in p for p in found), found
    assert not any("hunter2" in p for p in found), found


@pytest.mark.parametrize("secret", ["pässwörd-ünïcode", 'quo"te-and\\slash', "tab\there-secret"])
def test_the_journal_text_masks_json_escaped_secrets(secret: str) -> None:
    redactor = Redactor([secret])
    dumped = json.dumps({"detail": f"Authorization: Bearer {secret}"}, indent=1)
    assert json.loads(redactor.text(dumped)) == {"detail": f"Authorization: Bearer {MASK}"}
    assert redactor.text(repr(secret)) == f"'{MASK}'"


@pytest.mark.parametrize("secret", ['a&b<c>"d', "line\nbreak-secret", "tab\there-secret"])
def test_junit_xml_masks_xml_escaped_secrets(secret: str) -> None:
    from xml.etree import ElementTree as ET

    case = ET.Element("testcase", name="t")
    ET.SubElement(case, "failure", message=f"token {secret}").text = f"body {secret}"
    masked = Redactor([secret]).text(ET.tostring(case, encoding="unicode"))
    parsed = ET.fromstring(masked)
    assert parsed[0].get("message") == f"token {MASK}"
    assert parsed[0].text == f"body {MASK}"


def test_log_lines_mask_secrets_in_nested_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("json")
    logs.set_secrets(Redactor([SECRET]))
    try:
        structlog.get_logger("t").warning(
            "calling", params={"headers": {"Authorization": f"Bearer {SECRET}"}}, ids=(SECRET,)
        )
    finally:
        logs.set_secrets(Redactor())
    line = capsys.readouterr().out
    assert SECRET not in line
    assert json.loads(line)["params"] == {"headers": {"Authorization": f"Bearer {MASK}"}}
