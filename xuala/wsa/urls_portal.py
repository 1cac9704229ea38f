"""The WSA in the client area (mounted at portal/security/ inside i18n_patterns)."""

from django.urls import path

from xuala.wsa import views

app_name = "wsa_portal"
urlpatterns = [
    path("", views.portal_audits, name="audits"),
    path("audits/<int:pk>/", views.portal_audit, name="audit"),
    path("audits/<int:pk>/pdf/", views.portal_audit_pdf, name="audit_pdf"),
    path("findings/<int:finding_id>/answer/", views.portal_admin_answer, name="admin_answer"),
]
