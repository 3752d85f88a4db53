"""The framework and each competency at their stable URLs answer JSON-LD to programs that ask for it (both
languages, level descriptors, alignments, a ready OB 3.0 Alignment), and HTML to browsers."""
import json

import pytest
from pyld import jsonld

LD = {"Accept": "application/ld+json"}


def test_a_competency_answers_json_ld_in_both_languages(client, loaded):
    resp = client.get("/framework/D1.1", headers=LD)
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    assert "Accept" in resp.headers["Vary"] and resp.headers["Access-Control-Allow-Origin"] == "*"
    doc = resp.get_json(force=True)
    assert doc["id"] == "http://lms.example.com/framework/D1.1" and doc["code"] == "D1.1"
    assert set(doc["name"]) == {"en", "zh-Hans"} and all(doc["name"].values())
    assert set(doc["description"]) == {"en", "zh-Hans"}
    assert [d["level"] for d in doc["levelDescriptors"]] == ["F", "P", "E"]
    assert all(set(d["text"]) == {"en", "zh-Hans"} for d in doc["levelDescriptors"])
    frameworks = {a["framework"] for a in doc["alignments"]}
    assert {"RTTP", "TORCH-2020"} <= frameworks
    assert all(a["provisional"] for a in doc["alignments"] if a["framework"] == "RTTP")
    ob = doc["obAlignment"]
    assert ob["targetUrl"] == doc["id"] and ob["targetCode"] == "D1.1" and ob["targetType"] == "ceasn:Competency"
    assert doc["isChildOf"] == "http://lms.example.com/framework#D1"


def test_the_json_ld_expands_to_ctdl_asn_with_language_tags(client, loaded):
    doc = client.get("/framework/D1.1", headers=LD).get_json(force=True)
    expanded = jsonld.expand(doc)[0]
    assert expanded["@id"] == "http://lms.example.com/framework/D1.1"
    assert expanded["@type"] == ["https://purl.org/ctdlasn/terms/Competency"]
    labels = expanded["https://purl.org/ctdlasn/terms/competencyLabel"]
    assert {v["@language"].lower() for v in labels} == {"en", "zh-hans"}     # BCP 47 tags are case-insensitive
    assert expanded["https://purl.org/ctdlasn/terms/codedNotation"] == [{"@value": "D1.1"}]


def test_the_framework_answers_json_ld_with_every_competency(client, loaded):
    resp = client.get("/framework", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    doc = resp.get_json(force=True)
    assert doc["id"] == "http://lms.example.com/framework" and doc["type"] == "ceasn:CompetencyFramework"
    assert len(doc["domains"]) == 8 and len(doc["competencies"]) >= 28
    assert [lv["level"] for lv in doc["levels"]] == ["F", "P", "E"]
    assert all(c["id"] in d["hasChild"] for d in doc["domains"] for c in doc["competencies"]
               if c["isChildOf"] == d["id"])
    json.dumps(jsonld.expand(doc))       # a well-formed JSON-LD document


@pytest.mark.parametrize("url", ["/framework", "/framework/D1.1"])
def test_browsers_still_get_the_page(client, loaded, url):
    resp = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.mimetype == "text/html" and "Accept" in resp.headers["Vary"]


def test_an_unknown_competency_is_not_found_in_json_ld_either(client, loaded):
    assert client.get("/framework/Z9.9", headers=LD).status_code == 404


@pytest.mark.parametrize("url", ["/framework", "/framework/D1.1"])
def test_the_page_points_programs_at_its_json_ld(client, loaded, url):
    page = client.get(url).get_data(as_text=True)
    assert f'<link rel="alternate" type="application/ld+json" href="{url}">' in page
