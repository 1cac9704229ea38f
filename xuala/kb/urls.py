from django.urls import path

from xuala.kb import views
from xuala.kb.policy_article import SLUG

app_name = "kb"
urlpatterns = [
    path(f"{SLUG}/", views.policy_article, name="policy"),
]
