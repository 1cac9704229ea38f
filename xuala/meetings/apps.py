from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "xuala.meetings"
    label = "meetings"

    def ready(self) -> None:
        # §4: the desk's "meeting" decision opens a meeting request that offers the client
        # times; registered here so that the desk never imports the meetings app.
        from xuala.desk.services import decision_handler_register
        from xuala.meetings.services import meeting_request_open
        from xuala.policy.schema import Decision

        decision_handler_register(Decision.MEETING, meeting_request_open)
