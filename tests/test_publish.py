"""Publishing: the workflow's triggers and steps, and an offline proof that the generated deploy works."""

import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from scripts.publish import publish_command, runtime_pins, version_note
from scripts.read import ROOT
from scripts.settings import as_flags

from .conftest import serve_site

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_runs_on_data_changes_pull_requests_a_schedule_and_by_hand(workflow):
    triggers = workflow[True]  # YAML reads the key "on" as true
    assert set(triggers["push"]["paths"]) == {"raw/**", "scripts/**", "metadata.yml", "templates/**", "plugins/**"}
    assert "pull_request" in triggers
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers


def test_workflow_tests_then_builds_strictly_compares_and_deploys_only_on_change_never_for_a_pull_request(workflow):
    jobs = workflow["jobs"]
    assert [step.get("run") for step in jobs["test"]["steps"] if "run" in step] == ["make test"]
    publish = jobs["publish"]
    assert publish["needs"] == "test" and publish["if"] == "github.event_name != 'pull_request'"
    steps = publish["steps"]
    runs = [step.get("run", "") for step in steps]
    order = [next(i for i, run in enumerate(runs) if marker in run) for marker in
             ("make install", "previous.db", "scripts.build --strict", "scripts.publish compare", "scripts.publish deploy")]
    assert order == sorted(order)
    deploy = next(step for step in steps if "scripts.publish deploy" in step.get("run", ""))
    assert "steps.compare.outputs.changed == 'true'" in deploy["if"]
    assert "github.event_name == 'workflow_dispatch'" in deploy["if"]
    assert deploy["env"]["FLY_API_TOKEN"] == "${{ secrets.FLY_API_TOKEN }}"


def test_workflow_runs_the_page_tests_on_the_latest_datasette_1_pre_release(workflow):
    runs = " ".join(step.get("run", "") for step in workflow["jobs"]["test-datasette-1"]["steps"])
    assert 'pip install --pre --upgrade "datasette>=1.0a0"' in runs and "pytest -m pages" in runs


def test_workflow_actions_are_pinned_to_released_versions(workflow):
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w./-]+@v?\d+(\.\d+)*", action) for action in uses), uses


def test_workflow_names_secrets_only(workflow):
    text = WORKFLOW.read_text()
    assert not re.search(r"(FlyV1|fo1_|fm2_)[A-Za-z0-9_]{8,}", text)
    assert set(re.findall(r"secrets\.(\w+)", text)) == {"FLY_API_TOKEN", "WITHHELD_CSV"}


@pytest.fixture(scope="module")
def deploy_dir(built_db, tmp_path_factory):
    target = tmp_path_factory.mktemp("deploy") / "app"
    database = target.parent / "conscience.db"
    database.write_bytes(built_db.read_bytes())
    subprocess.run(publish_command("conscience-test", target, database), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return target, database


def test_generated_dockerfile_pins_inspects_and_tunes(deploy_dir):
    target, database = deploy_dir
    dockerfile = (target / "Dockerfile").read_text()
    for pin in runtime_pins():
        assert f" {pin}" in dockerfile
    assert "datasette==0.65.5" in dockerfile and "datasette-cluster-map==0.18.2" in dockerfile
    assert "RUN datasette inspect conscience.db --inspect-file inspect-data.json" in dockerfile
    assert " ".join(as_flags()) in dockerfile
    assert f"--version-note '{version_note(database)}'" in dockerfile
    assert (target / "metadata.json").exists() and (target / "plugins" / "feeds.py").exists()
    assert (target / "plugins" / "responses.py").exists()


def test_the_generated_app_serves_pages_queries_and_feeds(deploy_dir):
    target, _ = deploy_dir
    dockerfile = (target / "Dockerfile").read_text()
    inspect = next(line for line in dockerfile.splitlines() if line.startswith("RUN datasette inspect"))
    subprocess.run(shlex.split(inspect[len("RUN "):]), cwd=target, check=True,
                   env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[len("CMD "):]
    cmd = cmd.replace("--host 0.0.0.0", "--host 127.0.0.1").replace("$PORT", "{port}")
    server, base = serve_site(None, command=shlex.split(cmd), cwd=target)
    try:
        for path in ["/", "/conscience/persons", "/conscience/detained_under_article?article=105&country=",
                     "/conscience/feed_changes.atom", "/conscience/feed_new_arrests.jsonfeed"]:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
    finally:
        server.terminate()
        server.wait(timeout=10)
