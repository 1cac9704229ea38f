"""Canned replies: list, create, edit and delete."""

from __future__ import annotations

from xuala.desk.models import CannedReply


def test_it_creates_lists_edits_and_deletes_a_canned_reply(agent_client):
    response = agent_client.post("/console/canned/new/", {
        "title": "Cierre", "language": "es", "body": "Cerramos el ticket. Un saludo."})
    assert response.status_code == 302 and response["Location"] == "/console/canned/"
    reply = CannedReply.objects.get(title="Cierre")
    listing = agent_client.get("/console/canned/").text
    assert f'data-canned="{reply.pk}"' in listing and "Cerramos el ticket." in listing

    response = agent_client.post(f"/console/canned/{reply.pk}/", {
        "title": "Closing", "language": "en", "body": "We are closing this ticket."})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.title, reply.language) == ("Closing", "en")

    confirm = agent_client.get(f"/console/canned/{reply.pk}/delete/")
    assert confirm.status_code == 200 and "Closing" in confirm.text
    assert CannedReply.objects.filter(pk=reply.pk).exists()
    agent_client.post(f"/console/canned/{reply.pk}/delete/")
    assert not CannedReply.objects.filter(pk=reply.pk).exists()


def test_it_shows_errors_for_an_incomplete_canned_reply(agent_client):
    response = agent_client.post("/console/canned/new/", {"title": "", "language": "es",
                                                          "body": ""})
    assert response.status_code == 200 and 'class="field-error"' in response.text
    assert not CannedReply.objects.exists()


def test_it_answers_404_for_a_canned_reply_that_does_not_exist(agent_client):
    assert agent_client.get("/console/canned/4242/").status_code == 404
    assert agent_client.post("/console/canned/4242/delete/").status_code == 404


def test_each_change_of_a_canned_reply_writes_an_event_with_the_agent(agent_client):
    from xuala.desk.models import DeskEvent

    agent_client.post("/console/canned/new/", {"title": "Cierre", "language": "es",
                                               "body": "Cerramos el ticket."})
    reply = CannedReply.objects.get()
    agent_client.post(f"/console/canned/{reply.pk}/", {"title": "Cierre", "language": "es",
                                                       "body": "Cerramos este ticket."})
    agent_client.post(f"/console/canned/{reply.pk}/delete/")
    events = list(DeskEvent.objects.order_by("id"))
    assert [e.key for e in events] == ["canned.created", "canned.changed", "canned.deleted"]
    agent = agent_client.session["_auth_user_id"]
    assert all(str(e.actor_id) == agent and e.data["canned_reply"] == reply.pk for e in events)
