from __future__ import annotations

from django.urls import path

from peyvand.channels.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("compose/", views.compose_email, name="compose"),
    path("<int:pk>/", views.conversation_detail, name="detail"),
    path("<int:pk>/reply/", views.conversation_reply, name="reply"),
    path("<int:pk>/note/", views.conversation_note, name="note"),
    path("<int:pk>/status/", views.conversation_status, name="status"),
    path("<int:pk>/assign/", views.conversation_assign, name="assign"),
    path("canned/", views.canned_responses, name="canned"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("undeliverable/", views.dead_letters, name="dead_letters"),
    path("undeliverable/<int:pk>/replay/", views.dead_letter_replay, name="dead_letter_replay"),
    path("chat-widgets/", views.chat_widgets, name="widgets"),
    path("chat-widgets/<int:pk>/test-page/", views.chat_test_page, name="widget_test_page"),
]
