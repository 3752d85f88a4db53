"""The issuer's Profile (valid against the official OB 3.0 schema, at /issuer as HTML or JSON-LD, linked from the
DID document), the badge images and the logo, the issuer on the verification pages, and the link preview
(Open Graph) of a shared verification page."""
import io
import json
import re
from html import unescape
from xml.etree import ElementTree

import jsonschema
import pytest
from PIL import Image

from lms.credentials import profile
from lms.credentials.models import Programme
from lms.credentials.schemas import FILES, OB_ACHIEVEMENT_CREDENTIAL, SCHEMAS_DIR
from lms.extensions import db

# 1EdTech's official schema (https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json)
SCHEMA = json.loads((SCHEMAS_DIR / FILES[OB_ACHIEVEMENT_CREDENTIAL]).read_text())
LD = {"Accept": "application/ld+json"}
EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh-CN"}


def _schema_of(definition: str) -> dict:
    return {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}


def _valid(instance: dict, definition: str) -> None:
    schema = _schema_of(definition)
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(instance))
    assert not errors, [e.message for e in errors]


# ---------------------------------------------------------------- the Profile

def test_the_issuer_in_every_credential_is_a_full_profile_valid_against_the_official_schema(app, world):
    issuer = json.loads(world["cred"].signed_json)["issuer"]
    _valid(issuer, "Profile")
    assert issuer["id"] == "did:web:lms.example.com"           # the proof's controller: unchanged
    assert issuer["name"] == profile.ISSUER_NAME and issuer["url"] == "http://lms.example.com"
    assert issuer["image"] == {"id": "http://lms.example.com/issuer/logo.png", "type": "Image",
                               "caption": f"{profile.ISSUER_NAME} · {profile.ISSUER_NAME_ZH}"}
    assert {"type": "IdentifierEntry", "identifier": profile.ISSUER_NAME_ZH, "identifierType": "name"} \
        in issuer["otherIdentifier"]
    assert profile.ISSUER_NAME_ZH in issuer["description"]


def test_names_e_mail_and_url_come_from_the_settings(app):
    app.config.update(ISSUER_NAME_EN="Partner Centre", ISSUER_NAME_ZH="合作中心", ISSUER_EMAIL="certs@centre.example",
                      ISSUER_URL="https://centre.example")
    with app.test_request_context():
        p = profile.issuer_profile()
    _valid(p, "Profile")
    assert (p["name"], p["email"], p["url"]) == ("Partner Centre", "certs@centre.example", "https://centre.example")
    assert p["otherIdentifier"][0]["identifier"] == "合作中心"


def test_the_settings_are_read_from_the_environment(tmp_path):
    from lms.config import Settings
    env = {"LMS_INSTANCE_PATH": str(tmp_path), "LMS_ISSUER_NAME_EN": "X Centre", "LMS_ISSUER_NAME_ZH": "某中心",
           "LMS_ISSUER_EMAIL": "a@x.example", "LMS_ISSUER_URL": "https://x.example/"}
    cfg = Settings.from_env(env).flask_config()
    assert (cfg["ISSUER_NAME_EN"], cfg["ISSUER_NAME_ZH"], cfg["ISSUER_EMAIL"], cfg["ISSUER_URL"]) == (
        "X Centre", "某中心", "a@x.example", "https://x.example")


def test_a_placeholder_mail_sender_is_no_contact_address(app):
    app.config.update(ISSUER_EMAIL=None, MAIL_SENDER="no-reply@localhost")
    with app.test_request_context():
        assert "email" not in profile.issuer_profile()
    app.config.update(MAIL_SENDER="office@centre.example")
    with app.test_request_context():
        assert profile.issuer_profile()["email"] == "office@centre.example"


@pytest.mark.parametrize("accept, mimetype", [("application/ld+json", "application/ld+json"),
                                              ("application/json", "application/json")])
def test_the_issuer_page_answers_json_ld_to_programs(client, world, accept, mimetype):
    resp = client.get("/issuer", headers={"Accept": accept})
    assert resp.status_code == 200 and resp.mimetype == mimetype and "Accept" in resp.headers["Vary"]
    doc = resp.get_json(force=True)
    assert doc["@context"] == profile.OB_CONTEXT
    body = {k: v for k, v in doc.items() if k != "@context"}
    assert body == json.loads(world["cred"].signed_json)["issuer"]       # the same Profile the credential carries
    _valid(body, "Profile")
    from lms.credentials import rdfc
    assert rdfc.undefined_terms(doc) == []       # every term is defined by the OB 3.0 context: nothing dropped


def test_the_issuer_page_shows_the_name_in_the_readers_language(client, world):
    english = client.get("/issuer", headers=EN).get_data(as_text=True)
    assert f"<h1>{profile.ISSUER_NAME}</h1>" in unescape(english)
    assert 'src="/issuer/logo.svg?v=' in english and "did:web:lms.example.com" in english
    assert "Technology Transfer Manager — Foundation" in unescape(english)         # the programmes it issues
    chinese = client.get("/issuer", headers=ZH).get_data(as_text=True)
    assert f"<h1>{profile.ISSUER_NAME_ZH}</h1>" in unescape(chinese)
    assert "证书" in chinese and "技术经理人（初级）" in chinese


def test_the_did_document_links_the_profile_and_still_names_the_key(client, world):
    doc = client.get("/.well-known/did.json").get_json()
    assert doc["alsoKnownAs"] == ["http://lms.example.com/issuer"]
    assert doc["verificationMethod"] and all(m["controller"] == doc["id"] for m in doc["verificationMethod"])
    assert json.loads(world["cred"].signed_json)["proof"][0]["verificationMethod"] in doc["assertionMethod"]


# ---------------------------------------------------------------- images

def _png(resp) -> Image.Image:
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    return Image.open(io.BytesIO(resp.data))


def test_each_programme_has_a_png_badge_of_512_pixels_different_per_level(client, world):
    images = {key: client.get(f"/programmes/{key}/badge.png") for key in ("foundation", "practitioner", "expert")}
    for resp in images.values():
        img = _png(resp)
        assert img.size == (512, 512) and img.mode == "RGBA"
        assert img.getpixel((0, 0))[3] == 0 and img.getpixel((256, 30))[3] == 255     # a round seal
    assert len({r.data for r in images.values()}) == 3
    # the seal's ring is in the level's colour
    colours = {key: _png(r).convert("RGB").getpixel((256, 20)) for key, r in images.items()}
    assert len(set(colours.values())) == 3


def test_the_svg_badge_is_self_contained_and_names_the_programme_in_both_languages(client, world):
    resp = client.get("/programmes/foundation/badge.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(resp.data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("viewBox") == "0 0 512 512"
    assert root.find(f"{ns}title").text == "Technology Transfer Manager — Foundation · 技术经理人（初级）"
    assert root.find(f".//{ns}text") is None and len(root.findall(f"{ns}path")) >= 5    # text as outlines
    assert b"href" not in resp.data and b"url(" not in resp.data                       # fetches nothing
    assert "sandbox" in resp.headers["Content-Security-Policy"]


def test_badge_images_are_cached_by_content_version(client, world):
    from lms.credentials.public import programme_badge_version
    version = programme_badge_version(db.session.query(Programme).filter_by(key="foundation").one())
    plain = client.get("/programmes/foundation/badge.png")
    assert plain.headers["Cache-Control"] == "public, max-age=86400" and plain.headers["ETag"] == f'"{version}"'
    assert client.get("/programmes/foundation/badge.png", headers={"If-None-Match": f'"{version}"'}).status_code == 304
    pinned = client.get(f"/programmes/foundation/badge.png?v={version}")
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable" and pinned.data == plain.data
    assert client.get("/programmes/foundation/badge.png?v=old").headers["Cache-Control"] == "public, max-age=86400"


def test_a_changed_title_is_a_new_version(client, world):
    from lms.credentials.public import programme_badge_version
    prog = db.session.query(Programme).filter_by(key="foundation").one()
    before, old_png = programme_badge_version(prog), client.get("/programmes/foundation/badge.png").data
    prog.title_en = "Technology Transfer Manager — Foundation (2027)"
    db.session.commit()
    assert programme_badge_version(prog) != before
    assert client.get("/programmes/foundation/badge.png").data != old_png


@pytest.mark.parametrize("url", ["/programmes/nope/badge.png", "/programmes/foundation/badge.gif",
                                 "/programmes/foundation/badge.svg.png", "/issuer/logo.jpg"])
def test_unknown_programmes_and_formats_are_not_found(client, world, url):
    assert client.get(url).status_code == 404


def test_the_issuer_logo_in_both_formats(client, world):
    img = _png(client.get("/issuer/logo.png"))
    assert img.size == (512, 512)
    svg = client.get("/issuer/logo.svg")
    assert svg.mimetype == "image/svg+xml" and ElementTree.fromstring(svg.data).tag.endswith("svg")


def test_the_badge_url_a_credential_carries_is_served(app, client, world):
    with app.test_request_context():
        url = profile.badge_image_url("foundation", "png")
    assert url == "http://lms.example.com/programmes/foundation/badge.png"
    assert client.get(url.removeprefix("http://lms.example.com")).status_code == 200


# ---------------------------------------------------------------- the verification pages

def test_the_verification_page_shows_the_issuer_by_name_and_image(client, world):
    cred = world["cred"]
    english = unescape(client.get(f"/v/{cred.public_id}", headers=EN).get_data(as_text=True))
    assert re.search(r'<img src="/issuer/logo\.svg\?v=\w+"[^>]*><a href="/issuer">' + re.escape(profile.ISSUER_NAME),
                     english)
    assert "did:web:lms.example.com" in english                      # the DID stays visible
    assert "/programmes/foundation/badge.svg" in english
    chinese = unescape(client.get(f"/v/{cred.public_id}", headers=ZH).get_data(as_text=True))
    assert f'<a href="/issuer">{profile.ISSUER_NAME_ZH}</a>' in chinese


def test_the_json_download_is_unchanged(client, world):
    cred = world["cred"]
    cred.share_full = True
    db.session.commit()
    resp = client.get(f"/v/{cred.public_id}/credential.json")
    assert resp.get_data(as_text=True) == cred.signed_json


def test_the_upload_report_names_our_issuer(client, world):
    data = world["cred"].signed_json.encode()
    page = client.post("/verify", data={"file": (io.BytesIO(data), "c.json")}, content_type="multipart/form-data",
                       headers=ZH).get_data(as_text=True)
    assert f'<a href="/issuer">{profile.ISSUER_NAME_ZH}</a>' in unescape(page)
    assert "did:web:lms.example.com" in page


def _meta(html: str) -> dict:
    return {m[0]: unescape(m[1]) for m in re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)"',
                                                      html)}


def test_a_shared_page_previews_with_the_badge_programme_and_issuer(client, world):
    cred = world["cred"]
    cred.share_full = True
    db.session.commit()
    meta = _meta(client.get(f"/v/{cred.public_id}", headers=EN).get_data(as_text=True))
    assert meta["og:title"] == "Technology Transfer Manager — Foundation"
    assert meta["og:url"] == f"http://lms.example.com/v/{cred.public_id}"
    assert re.fullmatch(r"http://lms\.example\.com/programmes/foundation/badge\.png\?v=\w{12}", meta["og:image"])
    assert profile.ISSUER_NAME in meta["og:description"] and "valid" in meta["og:description"]
    assert meta["twitter:card"] == "summary" and meta["twitter:image"] == meta["og:image"]
    assert client.get(meta["og:image"].removeprefix("http://lms.example.com")).mimetype == "image/png"
    holder = world["holder"]
    assert not any(holder.name_zh in v or holder.name_latin in v for v in meta.values())
    chinese = _meta(client.get(f"/v/{cred.public_id}", headers=ZH).get_data(as_text=True))
    assert chinese["og:title"] == "技术经理人（初级）" and profile.ISSUER_NAME_ZH in chinese["og:description"]
    assert chinese["og:locale"] == "zh_CN"


def test_a_page_shared_as_status_only_has_no_preview(client, world):
    cred = world["cred"]
    cred.share_full = False
    db.session.commit()
    page = client.get(f"/v/{cred.public_id}").get_data(as_text=True)
    assert _meta(page) == {} and "og:" not in page


def test_badges_drawn_at_the_same_time_in_threads_all_come_out():
    """The font is read lazily by fontTools, which is not thread-safe: drawings are serialised (a threaded
    server once answered 500 for the second of two images asked for at once)."""
    from concurrent.futures import ThreadPoolExecutor

    from lms.credentials import badges
    badges._font.cache_clear()
    jobs = [(lv, f"Title {i}", f"标题{i}") for i, lv in enumerate("FPEFPEFP")]
    with ThreadPoolExecutor(8) as pool:
        svgs = list(pool.map(lambda j: badges.to_svg(badges.programme_badge(*j), j[1]), jobs))
    assert all(ElementTree.fromstring(s).tag.endswith("svg") for s in svgs) and len(set(svgs)) == len(jobs)
