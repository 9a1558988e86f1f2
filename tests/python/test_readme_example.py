"""README.md's Python example runs as written, and the package has one
name and one version (issue 16).

The example is taken from README.md itself (the first ```python block of
the "Python" section) and run as a script by /usr/bin/python3 in an empty
directory; the only change is its DSN, "dbname=corpus", pointed at the test
database.
"""

import email
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import clara
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = REPO / "client" / "python"


def readme_python_example():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Python"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README.md's Python section has no ```python block"
    return match.group(1)


def test_readme_example_runs_as_written(dsn, tmp_path):
    code = readme_python_example()
    assert 'dsn="dbname=corpus"' in code, "the example's DSN changed: update this test"
    script = tmp_path / "example.py"
    script.write_text(code.replace('dsn="dbname=corpus"', "dsn=" + json.dumps(dsn)), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE), PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, "-P", str(script)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, f"the README example failed:\n{run.stderr}"
    assert run.stderr == ""
    out = run.stdout.splitlines()
    count = int(out[0].split()[0])
    assert out[0] == f"{count} documents in data/training.jsonl"
    assert count > 0, "the example's query matched nothing in the test corpus"
    lines = (tmp_path / "data" / "training.jsonl").read_bytes().splitlines()
    assert len(lines) == count
    # Then one line per streamed document, the same documents in the same order.
    streamed = [line.split()[0] for line in out[1:]]
    assert streamed == [json.loads(line)["document_id"] for line in lines]


@pytest.mark.filterwarnings("ignore:Support for:UserWarning")  # setuptools calls [tool.setuptools] beta
def test_distribution_name_and_single_version(tmp_path):
    """The metadata setuptools builds: not PyPI's unrelated "clara", and the
    version is clara.__version__ (no second number in pyproject.toml)."""
    from setuptools import build_meta

    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    out = tmp_path / "meta"
    out.mkdir()
    cwd = os.getcwd()
    os.chdir(source)
    try:
        dist_info = build_meta.prepare_metadata_for_build_wheel(str(out))
    finally:
        os.chdir(cwd)
    metadata = email.message_from_string((out / dist_info / "METADATA").read_text(encoding="utf-8"))
    assert metadata["Name"] == "clara-stream"
    assert metadata["Version"] == clara.__version__
    assert "version =" not in (PACKAGE / "pyproject.toml").read_text().split("[tool.setuptools.dynamic]")[0]
