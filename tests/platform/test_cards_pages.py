"""The cards page (issue 14 item 4) over real HTTP: an owner adds, renames, blocks and removes
their own cards; an operator sees everyone's and sets owner, expiry and group; a bad form
changes nothing and says why in words."""

from __future__ import annotations

from api_harness import user_client
from platform_harness import Platform


async def test_an_owner_manages_their_cards_on_the_page(platform: Platform) -> None:
    async with user_client(platform, "owner@example.org", "owner") as owner:
        owner.follow_redirects = True
        r = await owner.get("/app/cards")
        assert r.status_code == 200 and "No card yet." in r.text
        r = await owner.post("/app/cards", data={"id_tag": "04A1B2", "name": "Van"})
        assert "Card 04A1B2 added." in r.text and "Van" in r.text
        r = await owner.post("/app/cards/04A1B2", data={"action": "block"})
        assert "Card 04A1B2 blocked" in r.text
        card = await platform.store.cards.get("04A1B2")
        assert card is not None and card["status"] == "Blocked"
        r = await owner.post("/app/cards/04A1B2", data={"action": "rename", "name": "Old van"})
        assert "renamed" in r.text and "Old van" in r.text
        # An owner cannot give a card an expiry date, even with a crafted form.
        r = await owner.post("/app/cards", data={"id_tag": "05", "expiry": "2030-01-01"})
        assert "Card not added: only an operator sets" in r.text
        r = await owner.post("/app/cards", data={"id_tag": "bad id"})
        assert "Card not added: a card&#39;s id is 1 to 20" in r.text
        assert "Traceback" not in r.text
        r = await owner.post("/app/cards/04A1B2", data={"action": "remove"})
        assert "Card 04A1B2 removed." in r.text
    assert await platform.store.cards.listed(everyone=True) == []


async def test_an_operator_sees_all_cards_and_sets_owner_expiry_and_group(
    platform: Platform,
) -> None:
    async with user_client(platform, "owner@example.org", "owner") as owner:
        owner.follow_redirects = True
        await owner.post("/app/cards", data={"id_tag": "OWN-1"})
        async with user_client(platform, "op@example.org", "operator") as op:
            op.follow_redirects = True
            r = await op.get("/app/cards")
            assert "OWN-1" in r.text and "owner@example.org" in r.text
            r = await op.post(
                "/app/cards",
                data={
                    "id_tag": "FLEET-7",
                    "owner": "owner@example.org",
                    "expiry": "2030-03-31",
                    "parent": "FLEET",
                },
            )
            assert "Card FLEET-7 added." in r.text, r.text
            r = await op.post("/app/cards", data={"id_tag": "X1", "owner": "nobody@example.org"})
            assert "Card not added: no user nobody@example.org." in r.text
        r = await owner.get("/app/cards")
        assert "FLEET-7" in r.text  # the owner's now
    card = await platform.store.cards.get("FLEET-7")
    assert card is not None and card["parent_id_tag"] == "FLEET"
    assert card["expiry_date"].isoformat() == "2030-03-31T22:59:59+00:00"  # end of the UK day
    assert await platform.store.cards.get("X1") is None
