"""Status-list positions are drawn at random from the whole list (unique, collisions drawn again, also when a
parallel issuance takes the same position at the same moment), and the status-list route answers 404 to any
number it does not hold."""
import json
import threading

import pytest
from sqlalchemy import select, update

from lms.config import REPO_ROOT
from lms.credentials import keys, status_store, statuslist
from lms.credentials import services as svc
from lms.credentials.models import LIST_SIZE, Credential, Programme, StatusList
from lms.db import utcnow
from lms.extensions import db
from lms.loading import load_all
from tests.factories import PG_URL, make_user


@pytest.fixture
def foundation(app):
    load_all(REPO_ROOT)
    keys.create_key()
    return db.session.scalar(select(Programme).where(Programme.key == "foundation"))


def _issue(prog):
    cred = Credential(holder=make_user(("trainee",)), programme=prog, state="pending")
    db.session.add(cred)
    db.session.flush()
    svc.issue(cred)
    db.session.commit()
    return cred


def _draws(monkeypatch, values):
    """secrets.randbelow as the allocator sees it: ``values`` in turn; records each bound asked for."""
    bounds, it = [], iter(values)

    def draw(n):
        bounds.append(n)
        return next(it)
    monkeypatch.setattr(svc.secrets, "randbelow", draw)
    monkeypatch.setattr(status_store, "POSITION_DRAWS", 2)
    return bounds


def _positions(cred):
    return [(s["statusPurpose"], s["statusListIndex"], s["statusListCredential"])
            for s in statuslist.entries(json.loads(cred.signed_json))]


def test_positions_are_drawn_at_random_from_the_whole_list_and_collisions_drawn_again(app, foundation, monkeypatch):
    bounds = _draws(monkeypatch, [90_001, 90_001,      # the first credential: position 90001
                                  90_001, 17])         # the second draws 90001 again (taken), then 17
    first, second = _issue(foundation), _issue(foundation)
    assert (first.status_list, first.status_index) == (1, 90_001)
    assert (second.status_list, second.status_index) == (1, 17)
    assert set(bounds) == {LIST_SIZE}                   # every draw spans the whole list
    url = "http://lms.example.com/status/{}/1"
    assert _positions(first) == [("message", "90001", url.format("message"))]
    # revoking the first sets exactly its revocation bit (the first of its two) in the published list
    svc.revoke(None, first, "test")
    db.session.commit()
    assert status_store.bit_is_set("message", 1, 2 * 90_001) and not status_store.bit_is_set("message", 1, 2 * 90_001 + 1)
    assert not status_store.bit_is_set("message", 1, 2 * 17)


def test_when_every_drawn_position_is_taken_the_next_list_opens(app, foundation, monkeypatch):
    _draws(monkeypatch, [5, 5, 5, 5, 5, 5])
    first, second = _issue(foundation), _issue(foundation)
    assert (first.status_list, first.status_index) == (1, 5)
    assert (second.status_list, second.status_index) == (2, 5)
    assert app.test_client().get("/status/message/2").status_code == 200


def test_a_position_taken_by_a_parallel_issuance_meanwhile_is_drawn_again(app, foundation, monkeypatch):
    """Between the check that a drawn position is free and the write, another issuance takes it: the unique
    constraint refuses the second, and the allocator draws again."""
    other = _issue(foundation)
    original, calls = status_store.allocate_index, []

    def racing():
        number, index = original()
        calls.append(index)
        if len(calls) == 1:          # the other issuance takes this very position now
            db.session.execute(update(Credential).where(Credential.id == other.id)
                               .values(status_list=number, status_index=index))
        return number, index
    monkeypatch.setattr(status_store, "allocate_index", racing)
    _draws(monkeypatch, [7, 7, 9, 9])
    cred = _issue(foundation)
    assert calls == [7, 9]
    assert (cred.status_list, cred.status_index) == (1, 9) and cred.state == "active"
    assert (other.status_list, other.status_index) == (1, 7)


@pytest.mark.own_database
@pytest.mark.skipif(not PG_URL, reason="parallel transactions need PostgreSQL")
def test_parallel_issuance_gives_unique_positions_on_postgresql(app, foundation, monkeypatch):
    """Six issuances at once, drawing from eight positions only: collisions between transactions are certain;
    each is drawn again, and every credential is issued at a position of its own."""
    import random
    monkeypatch.setattr(svc.secrets, "randbelow", lambda n: random.randrange(8))
    holders = [make_user(("trainee",)).id for _ in range(6)]
    prog_id = foundation.id
    db.session.commit()
    start, errors = threading.Barrier(len(holders)), []

    def run(holder_id):
        try:
            with app.app_context():
                cred = Credential(holder_id=holder_id, programme_id=prog_id, state="pending")
                db.session.add(cred)
                db.session.flush()
                start.wait(timeout=10)
                svc.issue(cred)
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(h,)) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    rows = db.session.execute(select(Credential.status_list, Credential.status_index, Credential.state)).all()
    assert len(rows) == 6 and {r.state for r in rows} == {"active"}
    assert len({(r.status_list, r.status_index) for r in rows}) == 6
    assert all(r.status_index < 8 for r in rows)


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999999", "0", "3"])
def test_a_list_number_it_does_not_hold_is_a_404(app, foundation, number):
    _issue(foundation)
    assert app.test_client().get("/status/message/1").status_code == 200
    for purpose in ("message", "revocation", "suspension"):
        assert app.test_client().get(f"/status/{purpose}/{number}").status_code == 404


@pytest.mark.own_database         # "another request" commits on a connection of its own meanwhile
def test_a_bit_changed_while_the_list_is_being_signed_is_not_hidden_by_the_older_signature(app, foundation,
                                                                                          monkeypatch):
    """A revocation commits while a read of the list is signing the older bits: that read's signature is not
    kept, so the next read publishes the revocation."""
    cred = _issue(foundation)
    assert app.test_client().get("/status/message/1").status_code == 200               # signed and kept
    status_store.set_bit("message", 1, 0, False)                                                 # the kept one is stale now
    db.session.commit()
    real_sign = svc.signing.sign

    def revoked_meanwhile(*args, **kwargs):
        signed = real_sign(*args, **kwargs)
        if not getattr(revoked_meanwhile, "done", False):           # another request revokes, and commits
            revoked_meanwhile.done = True
            with db.engine.begin() as conn:
                bits = bytearray(conn.execute(select(StatusList.bits).where(
                    StatusList.purpose == "message", StatusList.number == 1)).scalar_one())
                position = 2 * cred.status_index                # its revocation bit
                bits[position // 8] |= 0x80 >> (position % 8)
                conn.execute(update(StatusList).where(StatusList.purpose == "message", StatusList.number == 1)
                             .values(bits=bytes(bits), signed_json=None, updated_at=utcnow()))
        return signed
    monkeypatch.setattr(svc.signing, "sign", revoked_meanwhile)
    first = app.test_client().get("/status/message/1").get_json()
    assert statuslist.entry_value(first["credentialSubject"]["encodedList"], cred.status_index, 2) == 0  # read before
    again = app.test_client().get("/status/message/1").get_json()
    assert statuslist.entry_value(again["credentialSubject"]["encodedList"], cred.status_index, 2) == 0b10  # revoked
