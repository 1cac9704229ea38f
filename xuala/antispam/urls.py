"""Akismet's endpoints, under /akismet/1.1/."""

from django.urls import path

from xuala.antispam import akismet

app_name = "akismet"
urlpatterns = [
    path("verify-key", akismet.verify_key, name="verify-key"),
    path("comment-check", akismet.comment_check, name="comment-check"),
    path("submit-spam", akismet.submit_spam, name="submit-spam"),
    path("submit-ham", akismet.submit_ham, name="submit-ham"),
]
