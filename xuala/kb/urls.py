from django.urls import path

from xuala.kb import views
from xuala.kb.policy_article import SLUG

app_name = "kb"
urlpatterns = [
    path("", views.kb_index, name="index"),
    path("search/", views.kb_search, name="search"),
    path("suggest/", views.kb_suggest, name="suggest"),
    path(f"{SLUG}/", views.policy_article, name="policy"),
    path("<slug:slug>/", views.article_detail, name="article"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
]
