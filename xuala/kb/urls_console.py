from django.urls import path

from xuala.kb import views_console

app_name = "kb_console"
urlpatterns = [
    path("", views_console.articles, name="articles"),
]
