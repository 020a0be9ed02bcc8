"""Publishing: the workflow's triggers and steps, and an offline proof that the generated deploy works."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from scripts.publish import MACHINES_PER_REGION, REGIONS, deploy_commands, generate, runtime_pins, version_note
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


def test_workflow_archives_each_release_s_files_as_a_github_release_after_deploying(workflow):
    publish = workflow["jobs"]["publish"]
    assert publish["permissions"] == {"contents": "write"} and workflow["permissions"] == {"contents": "read"}
    runs = [step.get("run", "") for step in publish["steps"]]
    archive = next(i for i, run in enumerate(runs) if "gh release create" in run)
    assert archive > next(i for i, run in enumerate(runs) if "scripts.publish deploy" in run)
    assert 'gh release view "$id"' in runs[archive] and 'conscience.db conscience.release/"$id"/*' in runs[archive]
    assert publish["steps"][archive]["env"] == {"GH_TOKEN": "${{ github.token }}"}


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
def deploy_dir(built_db):
    target = built_db.parent / "deploy" / "app"
    generate("conscience-test", target, built_db)
    return target, built_db


def test_the_deploy_runs_machines_in_two_regions_with_a_health_check_on_a_page(deploy_dir):
    target, _ = deploy_dir
    fly = tomllib.loads((target / "fly.toml").read_text())
    assert fly["http_service"]["internal_port"] == 8080 and "ENV PORT 8080" in (target / "Dockerfile").read_text()
    assert fly["http_service"]["auto_stop_machines"] == "off" and fly["primary_region"] in REGIONS
    (check,) = fly["http_service"]["checks"]
    assert check["method"] == "GET" and check["path"] == "/about"
    deploy, scale = deploy_commands("conscience-test", target)
    assert deploy[:3] == ["flyctl", "deploy", str(target)] and "--config" in deploy
    assert scale[:3] == ["flyctl", "scale", "count"] and int(scale[3]) == len(REGIONS) * MACHINES_PER_REGION >= 2
    assert scale[scale.index("--region") + 1] == ",".join(REGIONS) and len(set(REGIONS)) >= 2
    assert scale[scale.index("--max-per-region") + 1] == str(MACHINES_PER_REGION)


def test_in_github_actions_the_site_learns_where_releases_are_archived(deploy_dir, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "example/conscience")
    deploy, _ = deploy_commands("conscience-test", deploy_dir[0])
    assert deploy[-2:] == ["--env", "CONSCIENCE_ARCHIVE=https://github.com/example/conscience/releases"]


def test_the_image_holds_no_secret_and_nothing_kept_from_the_public(deploy_dir):
    """Datasette writes a signing secret into the Dockerfile: the site signs nothing, so it goes; the maintainer's
    withholding report stays beside the database."""
    target, _ = deploy_dir
    files = [path for path in target.rglob("*") if path.is_file()]
    assert not [path for path in files if "withholding-report" in path.name or path.name.endswith(".stage")]
    for name in ("Dockerfile", "fly.toml", "metadata.json"):
        text = (target / name).read_text()
        assert "DATASETTE_SECRET" not in text and not re.search(r"\b[0-9a-f]{32,}\b", text), name
    assert "--cors" in (target / "Dockerfile").read_text()


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
    release = next((target / "conscience.release").iterdir())
    assert sorted(p.name for p in release.iterdir()) == sorted(p.name for p in (database.with_name(
        "conscience.release") / release.name).iterdir())


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
        release = next((target / "conscience.release").iterdir()).name
        for path in ["/", "/conscience/persons", "/conscience/detained_under_article?article=105&country=",
                     "/conscience/feed_changes.atom", "/conscience/feed_new_arrests.jsonfeed", "/about",
                     "/datapackage.json", f"/releases/{release}/persons.csv", f"/releases/{release}/conscience.db"]:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
    finally:
        server.terminate()
        server.wait(timeout=10)
