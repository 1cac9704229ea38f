"""The node agent driven in-process: its HTTP calls go through Django's test client."""

from xuala.nodes.agent import Desk, DeskError, run_agent
from xuala.nodes.models import Job, JobState


class ClientDesk(Desk):
    """The agent's calls made through Django's test client (the same views and auth)."""

    def __init__(self, client, token):
        super().__init__("http://testserver", token)
        self.client = client

    def post(self, path, body):
        answer = self.client.post("/api/v1/nodes" + path, body, content_type="application/json",
                                  HTTP_AUTHORIZATION=f"Bearer {self.token}")
        if answer.status_code >= 400:
            raise DeskError(answer.status_code, answer.content.decode())
        return answer.json()


def drain(desk) -> None:
    """Run the node until no job is due."""
    for _ in range(50):
        if not Job.objects.filter(state=JobState.QUEUED).exists():
            return
        run_agent(desk, once=True)
    raise AssertionError("jobs left queued")
