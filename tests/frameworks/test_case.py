"""The framework in CASE 1.1: export, the read API, import, round trip (issue 18)."""
import io
import json
import re

import pytest
from sqlalchemy import select

from lms.config import REPO_ROOT
from lms.extensions import db
from lms.frameworks import case
from lms.frameworks.case_import import CaseImportError, apply_import, plan_import, read_package
from lms.frameworks.models import Framework
from lms.frameworks.services import framework_tree
from lms.loading import load_all
from tests.factories import client_of, make_user
from tests.factories.case import foreign_package

API = "/ims/case/v1p1"


def _package():
    return case.build_package(framework_tree())


def _get(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.mimetype == "application/json"
    return resp.get_json()


def test_export_validates_and_carries_the_tree_both_languages_and_rubrics(loaded):
    package = _package()
    assert case.schema_errors(package) == []
    items = {(i["CFItemType"], i["humanCodingScheme"], i["language"]): i for i in package["CFItems"]}
    d11 = items[("Competency", "D1.1", "en")]
    assert d11["abbreviatedStatement"] == "Policy and law of transforming scientific and technological achievements"
    assert items[("Competency", "D1.1", "zh-Hans")]["abbreviatedStatement"] == "科技成果转化政策法规"
    assert items[("Level descriptor", "D1.1.E", "zh-Hans")]["fullStatement"].startswith("能够设计或修订")
    by_type = {}
    for a in package["CFAssociations"]:
        by_type.setdefault(a["associationType"], []).append(a)
    parent = next(a for a in by_type["isChildOf"] if a["originNodeURI"]["identifier"] == d11["identifier"])
    assert parent["destinationNodeURI"]["identifier"] == items[("Domain", "D1", "en")]["identifier"]
    torch = next(a for a in by_type["isPartOf"] if a["originNodeURI"]["identifier"] == d11["identifier"])
    assert torch["destinationNodeURI"]["identifier"] == "TORCH-2020:ZCFG"      # narrower: ours is part of theirs
    rttp = [a for a in by_type["isRelatedTo"] if a["originNodeURI"]["identifier"] == d11["identifier"]
            and a["destinationNodeURI"]["identifier"].startswith("RTTP:")]
    assert rttp and all(a["notes"] == "provisional" for a in rttp)
    assert len(by_type["isTranslationOf"]) == len(package["CFItems"]) // 2
    assert {t["title"] for t in package["CFDefinitions"]["CFItemTypes"]} == {
        "Domain", "Competency", "Proficiency level", "Level descriptor"}
    # the project rubrics, each criterion linked to the competency it assesses
    rubric = next(r for r in package["CFRubrics"] if r["title"] == "Technology Evaluation Report")
    trl = next(c for c in rubric["CFRubricCriteria"] if c["category"] == "TRL assignment and gap-to-next-level plan")
    assert trl["CFItemURI"]["identifier"] == items[("Competency", "D2.2", "en")]["identifier"]
    assert [lv["quality"] for lv in trl["CFRubricCriterionLevels"]] == ["Insufficient", "Developing", "Proficient",
                                                                        "Excellent"]
    assert rubric["extensions"]["zh-Hans"]["title"] == "技术评估报告"
    assert trl["extensions"]["zh-Hans"]["category"] == "技术成熟度评定与差距计划"
    assert trl["CFRubricCriterionLevels"][0]["extensions"][0]["zh-Hans"]["quality"] == "不足"


def test_export_is_the_same_every_time(loaded):
    assert case.dumps(_package()) == case.dumps(_package())


def test_every_read_endpoint_answers_valid_case(app, client, loaded):
    listing = _get(client, f"{API}/CFDocuments")
    assert len(listing["CFDocuments"]) == 1
    doc = listing["CFDocuments"][0]
    assert case.schema_errors(doc, "CFPckgDocument") == []
    doc_id = doc["identifier"]
    assert case.schema_errors(_get(client, f"{API}/CFDocuments/{doc_id}"), "CFPckgDocument") == []
    package = _get(client, f"{API}/CFPackages/{doc_id}")
    assert case.schema_errors(package) == []
    # every uri in the package answers, and what it answers validates
    item = _get(client, package["CFItems"][5]["uri"].removeprefix(app.config["LMS_BASE_URL"]))
    assert case.schema_errors(item, "CFPckgItem") == [] and item["CFDocumentURI"]["identifier"] == doc_id
    assoc = package["CFAssociations"][3]
    got = _get(client, f"{API}/CFAssociations/{assoc['identifier']}")
    assert case.schema_errors(got, "CFPckgAssociation") == []
    item_type = package["CFDefinitions"]["CFItemTypes"][0]
    assert case.schema_errors(_get(client, f"{API}/CFItemTypes/{item_type['identifier']}"), "CFItemType") == []
    grouping = package["CFDefinitions"]["CFAssociationGroupings"][0]
    assert case.schema_errors(_get(client, f"{API}/CFAssociationGroupings/{grouping['identifier']}"),
                              "CFAssociationGrouping") == []
    rubric = package["CFRubrics"][0]
    assert case.schema_errors(_get(client, f"{API}/CFRubrics/{rubric['identifier']}"), "CFRubric") == []


def test_uris_are_our_absolute_urls(loaded, app):
    package = _package()
    base = app.config["LMS_BASE_URL"]
    assert package["CFDocument"]["uri"] == f"{base}{API}/CFDocuments/{package['CFDocument']['identifier']}"
    assert all(i["uri"] == f"{base}{API}/CFItems/{i['identifier']}" for i in package["CFItems"])


def test_download_and_caching(client, loaded):
    doc_id = case.document_id("TTM-CF")
    assert f'href="{API}/CFPackages/{doc_id}.json" download' in client.get("/framework").get_data(as_text=True)
    resp = client.get(f"{API}/CFPackages/{doc_id}.json")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert resp.get_json()["CFDocument"]["identifier"] == doc_id
    assert "public" in resp.headers["Cache-Control"]
    again = client.get(f"{API}/CFPackages/{doc_id}", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    page = client.get("/admin/framework/case-import")     # anonymous: to the login page
    assert page.status_code == 302


@pytest.mark.parametrize("path", ["CFDocuments", "CFPackages", "CFItems", "CFAssociations", "CFRubrics"])
@pytest.mark.parametrize("identifier", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_unknown_identifiers_are_imsx_404(client, loaded, path, identifier):
    resp = client.get(f"{API}/{path}/{identifier}")
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "unknownobject"


def test_round_trip_export_import_export(loaded):
    first = _package()
    raw = case.dumps(first).encode("utf-8")
    plan = plan_import(read_package(raw))
    assert not plan.unchanged and plan.version == 2
    assert plan.counts["domains"] == 8 and plan.counts["levels"] == 3
    fw = apply_import(plan)
    db.session.commit()
    assert fw.version == 2 and fw.is_current
    assert framework_tree().id == fw.id
    old = db.session.scalar(select(Framework).where(Framework.code == "TTM-CF", Framework.version == 1))
    assert not old.is_current
    second = _package()
    assert json.loads(case.dumps(second)) == json.loads(case.dumps(first))
    # the same package again changes nothing, and nor does loading the unchanged framework file
    again = plan_import(read_package(raw))
    assert again.unchanged and apply_import(again).id == fw.id
    assert not load_all(REPO_ROOT).framework_created and framework_tree().id == fw.id


def test_the_api_serves_a_new_version_at_once(client, loaded):
    doc_id = case.document_id("TTM-CF")
    before = _get(client, f"{API}/CFDocuments/{doc_id}")
    package = _package()
    package["CFDocument"]["version"] = "9.9-test"
    apply_import(plan_import(read_package(json.dumps(package).encode())))
    db.session.commit()
    after = _get(client, f"{API}/CFDocuments/{doc_id}")
    assert before["version"] == _shipped_label() and after["version"] == "9.9-test"


def test_foreign_package_imports_beside_ours(loaded):
    ours = framework_tree()
    plan = plan_import(read_package(json.dumps(foreign_package()).encode()))
    assert plan.existing is None and plan.data["code"] == "CASE-6f1d1b1e"
    assert plan.counts["associations"] - plan.counts["associations_kept"] == 1       # the isPeerOf
    fw = apply_import(plan)
    db.session.commit()
    assert not fw.is_current and framework_tree().id == ours.id          # the site's framework is unchanged
    domains = {d.code: d for d in fw.domains}
    assert domains["IP"].name_en == "Managing intellectual property" and domains["IP"].name_zh == "知识产权管理"
    assert [c.code for c in domains["IP"].competencies] == ["IP.1", "I1"]       # a code we cannot use is replaced
    searching = domains["IP"].competencies[0]
    assert [(a.framework, a.code, a.name, a.relation) for a in searching.alignments] == [
        ("CASE", "ESCO:skill-123", "Search patents", "exact")]
    loose = [d for d in fw.domains if d.code not in ("IP",)]
    assert [c.name_en for d in loose for c in d.competencies] == ["Ethics"]
    # and it is served as a CASE framework of its own, valid, which round-trips as ours do
    package = case.build_package(fw)
    assert case.schema_errors(package) == []
    again = apply_import(plan_import(read_package(case.dumps(package).encode())))
    db.session.commit()
    assert (again.code, again.version, again.is_current) == ("CASE-6f1d1b1e", 2, False)
    assert json.loads(case.dumps(case.build_package(again))) == json.loads(case.dumps(package))
    assert package["CFDocument"]["adoptionStatus"] == "Adopted"
    assert case.build_package(fw)["CFDocument"]["adoptionStatus"] == "Deprecated"      # version 1, replaced


@pytest.mark.parametrize(("raw", "expected"), [
    (b"\xff\xfe", "not UTF-8"),
    (b"{not json", "not JSON"),
    (b"[]", "not a CASE package"),
    (b"[" * 100_000, "not a CASE package"),
    (json.dumps({"CFItems": []}).encode(), "(the package): 'CFDocument' is a required property"),
])
def test_bad_files_say_what_is_wrong(app, raw, expected):
    with pytest.raises(CaseImportError) as exc:
        read_package(raw)
    assert any(expected in e for e in exc.value.errors), exc.value.errors


def test_schema_errors_name_the_path(app):
    package = foreign_package()
    del package["CFItems"][2]["uri"]
    package["CFAssociations"][0]["associationType"] = "isFriendOf"
    package["CFDocument"]["lastChangeDateTime"] = "2025-02-30T10:00:00Z"
    with pytest.raises(CaseImportError) as exc:
        read_package(json.dumps(package).encode())
    assert "CFDocument.lastChangeDateTime: '2025-02-30T10:00:00Z' is not a 'date-time'" in exc.value.errors
    assert any(e.startswith("CFItems[2]: 'uri' is a required property") for e in exc.value.errors)
    assert any(e.startswith("CFAssociations[0].associationType") for e in exc.value.errors)


def test_a_new_version_of_ours_must_keep_the_levels(loaded):
    package = _package()
    package["CFItems"] = [i for i in package["CFItems"] if not (i["CFItemType"] == "Proficiency level"
                                                                and i["humanCodingScheme"] == "E")]
    with pytest.raises(CaseImportError) as exc:
        plan_import(read_package(json.dumps(package).encode()))
    assert "F, P, E" in exc.value.errors[0]


def test_admin_page_checks_then_imports(app, loaded):
    admin = client_of(app, make_user(roles=("admin",)))
    raw = json.dumps(foreign_package()).encode()
    page = admin.post("/admin/framework/case-import", data={"file": (io.BytesIO(raw), "partner.json"), "check": "1"},
                      content_type="multipart/form-data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A new framework, CASE-6f1d1b1e, kept beside ours." in html
    assert db.session.scalar(select(Framework).where(Framework.code == "CASE-6f1d1b1e")) is None   # a check writes nothing
    bad = admin.post("/admin/framework/case-import", data={"file": (io.BytesIO(b"{}"), "x.json"), "submit": "1"},
                     content_type="multipart/form-data")
    assert "Nothing was imported" in bad.get_data(as_text=True) and "CFDocument" in bad.get_data(as_text=True)
    done = admin.post("/admin/framework/case-import", data={"file": (io.BytesIO(raw), "partner.json"), "submit": "1"},
                      content_type="multipart/form-data")
    assert done.status_code == 302
    assert db.session.scalar(select(Framework).where(Framework.code == "CASE-6f1d1b1e")) is not None
    listing = client_of(app).get(f"{API}/CFDocuments").get_json()
    assert {d["title"] for d in listing["CFDocuments"]} == {"Technology-Transfer Manager Competency Framework",
                                                           "Partner Framework"}


def test_cli_exports_checks_and_imports(app, loaded, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "ttm.json"
    assert "TTM-CF v1 written" in runner.invoke(args=["case", "export", "--out", str(out)]).output
    assert json.loads(out.read_text(encoding="utf-8")) == _package()
    checked = runner.invoke(args=["case", "import", "--check", str(out)])
    assert "would import: TTM-CF v2" in checked.output and "competencies 32," in checked.output
    assert db.session.scalar(select(Framework).where(Framework.version == 2)) is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"CFDocument": {"identifier": "x"}}))
    failed = runner.invoke(args=["case", "import", str(bad)])
    assert failed.exit_code == 1 and "CFDocument: 'uri' is a required property" in failed.output
    done = runner.invoke(args=["case", "import", str(out)])
    assert done.exit_code == 0 and "imported: TTM-CF v2" in done.output


def test_a_package_past_the_bounds_is_refused_before_it_is_checked(app, monkeypatch):
    from lms.frameworks import case_import
    monkeypatch.setattr(case_import, "MAX_ITEMS", 3)
    with pytest.raises(CaseImportError) as exc:
        read_package(json.dumps(foreign_package()).encode())
    assert exc.value.errors == ["CFItems: more than 3 entries"]
    monkeypatch.setattr(case_import, "MAX_BYTES", 100)
    with pytest.raises(CaseImportError) as exc:
        read_package(json.dumps(foreign_package()).encode())
    assert "larger than" in exc.value.errors[0]


def test_a_changed_framework_file_still_makes_a_version_after_an_import(loaded, tmp_path):
    from lms.frameworks.loader import load_framework
    apply_import(plan_import(read_package(case.dumps(_package()).encode())))
    changed = tmp_path / "framework.yaml"
    changed.write_text((REPO_ROOT / "courses" / "framework.yaml").read_text(encoding="utf-8")
                       .replace(f'version: "{_shipped_label()}"', 'version: "9.9-test"'), encoding="utf-8")
    result = load_framework(changed, "courses/framework.yaml")
    assert result.created and (result.framework.version, result.framework.label) == (3, "9.9-test")
    assert framework_tree().id == result.framework.id


def _shipped_label() -> str:
    """The version label of the shipped framework file (``version:`` in courses/framework.yaml)."""
    text = (REPO_ROOT / "courses" / "framework.yaml").read_text(encoding="utf-8")
    return re.search(r'^version: "([^"]+)"$', text, re.M).group(1)
