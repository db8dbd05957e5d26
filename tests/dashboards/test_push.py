"""``paywatch dashboards push`` against a stand-in for Grafana's API that checks the requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards import DASHBOARD_UIDS, PushError, dashboard_json, push_dashboards
from paywatch.cli import build_app
from tests.dashboards.grafana_standin import GrafanaApiStandIn

TOKEN = "glsa_standInServiceAccountToken_0123456789abcdef"


def _push(url: str, *, token: str = TOKEN, folder: str = "paywatch") -> list:
    return push_dashboards(
        url, token, [dashboard_json(uid) for uid in DASHBOARD_UIDS], folder=folder, message="test push"
    )


@pytest.mark.parametrize(
    ("existing_folders", "folder", "expected_folder_uid", "folder_created"),
    [
        pytest.param({}, "paywatch", "paywatch", True, id="creates-missing-folder"),
        pytest.param({"abc123": "paywatch"}, "paywatch", "abc123", False, id="reuses-folder-by-title"),
        pytest.param({"abc123": "Other"}, "Payments On-Call", "payments-on-call", True, id="creates-named-folder"),
    ],
)
async def test_push_saves_every_dashboard_in_the_folder(
    existing_folders: dict[str, str], folder: str, expected_folder_uid: str, folder_created: bool
) -> None:
    async with GrafanaApiStandIn(TOKEN, folders=existing_folders) as grafana:
        results = await asyncio.to_thread(_push, grafana.url, folder=folder)

    assert grafana.problems == []
    assert {r.uid for r in results} == set(DASHBOARD_UIDS)
    assert {r.folder_uid for r in results} == {expected_folder_uid}
    assert all(r.authorization == f"Bearer {TOKEN}" for r in grafana.requests)
    creates = [r for r in grafana.requests if r.method == "POST" and r.path == "/api/folders"]
    assert len(creates) == (1 if folder_created else 0)
    saves = [r.body for r in grafana.requests if r.path == "/api/dashboards/db"]
    assert [s["dashboard"]["uid"] for s in saves] == list(DASHBOARD_UIDS)
    assert all(s["overwrite"] is True and s["message"] == "test push" for s in saves)
    assert all(s["folderUid"] == expected_folder_uid and s["dashboard"]["id"] is None for s in saves)


async def test_second_push_overwrites_by_uid_with_a_new_version() -> None:
    async with GrafanaApiStandIn(TOKEN) as grafana:
        first = await asyncio.to_thread(_push, grafana.url)
        second = await asyncio.to_thread(_push, grafana.url)

    assert grafana.problems == []
    assert [r.version for r in first] == [1] * len(DASHBOARD_UIDS)
    assert [r.version for r in second] == [2] * len(DASHBOARD_UIDS)
    assert len(grafana.folders) == 1
    assert grafana.dashboards["paywatch-overview"].messages == ["test push", "test push"]


async def test_wrong_token_is_a_push_error_that_does_not_show_the_token() -> None:
    wrong = "glsa_notTheRightToken_fedcba9876543210"
    async with GrafanaApiStandIn(TOKEN) as grafana:
        with pytest.raises(PushError) as caught:
            await asyncio.to_thread(_push, grafana.url, token=wrong)

    assert "Unauthorized" in str(caught.value)
    assert wrong not in str(caught.value)
    assert grafana.dashboards == {}


async def test_cli_push_reads_the_token_file_and_never_prints_it(tmp_path: Path) -> None:
    token_file = tmp_path / "grafana.token"
    token_file.write_text(f"{TOKEN}\n")
    runner = CliRunner()
    async with GrafanaApiStandIn(TOKEN) as grafana:
        result = await asyncio.to_thread(
            runner.invoke,
            build_app(),
            ["dashboards", "push", "--url", grafana.url, "--token-file", str(token_file), "--folder", "On-call"],
        )

    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert set(grafana.dashboards) == set(DASHBOARD_UIDS)
    assert {saved.folder_uid for saved in grafana.dashboards.values()} == {"on-call"}
    assert all(saved.messages[-1].startswith("paywatch ") for saved in grafana.dashboards.values())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("", "expected one token", id="empty-file"),
        pytest.param("two tokens\n", "expected one token", id="whitespace-inside"),
    ],
)
def test_cli_push_refuses_a_bad_token_file(tmp_path: Path, content: str, problem: str) -> None:
    token_file = tmp_path / "grafana.token"
    token_file.write_text(content)
    result = CliRunner().invoke(
        build_app(), ["dashboards", "push", "--url", "http://127.0.0.1:9", "--token-file", str(token_file)]
    )
    assert result.exit_code == 1
    assert problem in result.output
