"""The demo company's community: a question answered by staff, a first post still waiting in
the moderation queue, and an ideas board with votes and a product manager's decision."""

from __future__ import annotations

QUESTION = (
    "مودم پس از قطع برق دوباره وصل نمی‌شود",
    "بعد از هر قطع برق باید مودم را دو بار خاموش و روشن کنم. راه بهتری هست؟",
)
STAFF_ANSWER = "Update the firmware to the latest release; it restores the connection on its own."
WAITING_REPLY = "Same here since last week."
IDEAS = [
    ("Dark mode in the mobile app", "Easier on the eyes at night.", 3),
    ("پشتیبانی از IPv6", "شبکهٔ ما به IPv6 کوچ می‌کند.", 2),
]


def load_demo_community() -> None:
    from peyvand.access.models import User
    from peyvand.catalog.models import Product
    from peyvand.customers.models import Customer
    from peyvand.portal.community import services
    from peyvand.portal.models import ForumThread

    agent = User.objects.filter(username="service1").first()
    product_manager = User.objects.filter(username="marketing1").first()
    product = Product.objects.sellable().order_by("pk").first()
    customers = list(Customer.objects.alive().order_by("pk")[:5])
    if agent is None or product_manager is None or product is None or len(customers) < 5:
        return
    if ForumThread.objects.exists():
        return
    asker, other, *voters = customers
    thread = services.start_thread(
        customer=asker, product=product, title=QUESTION[0], body=QUESTION[1]
    )
    services.moderate(thread.posts.get(is_opening=True), actor=agent, action="approve")
    answer = services.reply(thread, body=STAFF_ANSWER, staff=agent)
    services.accept_answer(thread, answer, customer=asker)
    services.reply(thread, body=WAITING_REPLY, customer=other)
    for title, description, votes in IDEAS:
        idea = services.propose_idea(
            customer=asker, product=product, title=title, description=description
        )
        for voter in voters[:votes]:
            services.vote_idea(idea, customer=voter)
    services.set_idea_status(
        idea, actor=product_manager, status="planned", note="در برنامهٔ فصل بعد است."
    )
