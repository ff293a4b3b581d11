from dataclasses import fields
from pathlib import Path

import pytest

from gateway.__main__ import main as gateway_main
from gateway.settings import PREFIX, Settings, SettingsError, from_env


def test_defaults_serve_the_committed_model_on_8080():
    settings = from_env({})
    assert settings == Settings()
    assert settings.port == 8080
    assert settings.workers == 1
    assert settings.model_path == Path("models/iris.onnx")


def test_every_field_is_read_from_its_prefixed_variable():
    settings = from_env({
        "GATEWAY_PORT": "9000", "GATEWAY_WORKERS": "3", "GATEWAY_ACCESS_LOG": "off", "GATEWAY_LOG_FORMAT": "JSON",
        "GATEWAY_DRAIN_SECONDS": "2.5", "GATEWAY_MODEL_PATH": "/srv/m.onnx", "UNRELATED": "x",
    })
    assert (settings.port, settings.workers, settings.access_log, settings.log_format) == (9000, 3, False, "json")
    assert settings.drain_seconds == 2.5
    assert settings.model_path == Path("/srv/m.onnx")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GATEWAY_PORT", "http", "GATEWAY_PORT='http' is invalid"),
        ("GATEWAY_PORT", "70000", "at most 65535"),
        ("GATEWAY_WORKERS", "0", "at least 1"),
        ("GATEWAY_LOG_LEVEL", "loud", "expected one of debug, info, warning, error"),
        ("GATEWAY_ACCESS_LOG", "maybe", "expected true or false"),
        ("GATEWAY_DRAIN_SECONDS", "-1", "at least 0"),
        # A drain of nan seconds never ends (uvloop's call_later raises).
        ("GATEWAY_DRAIN_SECONDS", "nan", "must be a finite number"),
        ("GATEWAY_DRAIN_SECONDS", "inf", "must be a finite number"),
        ("GATEWAY_SHUTDOWN_SECONDS", "-inf", "must be a finite number"),
        ("GATEWAY_SHUTDOWN_SECONDS", "NaN", "must be a finite number"),
        ("GATEWAY_PROT", "8080", "unknown setting GATEWAY_PROT"),
        # The operator routes on the public port would be public.
        ("GATEWAY_ADMIN_PORT", "8080", "GATEWAY_ADMIN_PORT=8080 is invalid: it must differ from GATEWAY_PORT"),
        ("GATEWAY_MAX_CONCURRENT_REQUESTS", "0", "at least 1"),
        ("GATEWAY_BODY_TIMEOUT_SECONDS", "0", "at least 0.1"),
        ("GATEWAY_BODY_TIMEOUT_SECONDS", "inf", "must be a finite number"),
    ],
)
def test_invalid_settings_fail_with_the_variable_named(variable, value, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        from_env({variable: value})


def test_help_lists_every_variable_with_its_default(capsys):
    assert gateway_main(["--help"]) == 0
    out = capsys.readouterr().out
    for spec in fields(Settings):
        line = next(line for line in out.splitlines() if f"{PREFIX}{spec.name.upper()} " in line)
        assert f"(default {spec.default})" in line and spec.metadata["help"] in line


@pytest.mark.parametrize("value", ["", "a b", "x\ny", "é", "a" * 129])
def test_the_release_is_a_plain_token(value):
    with pytest.raises(SettingsError, match="GATEWAY_RELEASE"):
        from_env({"GATEWAY_RELEASE": value})
    assert from_env({"GATEWAY_RELEASE": "0123abc.1+g"}).release == "0123abc.1+g"
