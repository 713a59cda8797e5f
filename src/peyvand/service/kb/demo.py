"""The demo company's knowledge base: a few proven solutions in both languages."""

from __future__ import annotations

from peyvand.service.choices import ArticleVisibility

# (English title, English body, Persian title, Persian body, visibility)
ARTICLES = [
    (
        "Resetting your account password",
        "<p>Open the sign-in page and choose <b>Forgot password</b>. A link arrives by email "
        "within five minutes; it works once and for one hour.</p>",
        "بازنشانی گذرواژهٔ حساب",
        "<p>در صفحهٔ ورود «گذرواژه را فراموش کرده‌ام» را بزنید. پیوندی تا پنج دقیقه به ایمیل "
        "شما می‌رسد که یک بار و تا یک ساعت کار می‌کند.</p>",
        ArticleVisibility.PUBLIC,
    ),
    (
        "Returning goods within the warranty",
        "<ul><li>Keep the invoice.</li><li>Returns are accepted within 30 days.</li>"
        "<li>Refunds reach the card in 3–5 working days.</li></ul>",
        "مرجوع کردن کالا در دورهٔ گارانتی",
        "<ul><li>فاکتور را نگه دارید.</li><li>کالا تا ۳۰ روز پس گرفته می‌شود.</li>"
        "<li>وجه تا ۳ تا ۵ روز کاری به کارت برمی‌گردد.</li></ul>",
        ArticleVisibility.PUBLIC,
    ),
    (
        "Escalating an outage to the on-call engineer",
        "<p>Call the on-call number on the service desk wiki, then log the call on the "
        "customer's timeline with the outage reference.</p>",
        "ارجاع قطعی سرویس به مهندس کشیک",
        "<p>با شمارهٔ کشیک در ویکی میز خدمات تماس بگیرید و تماس را با شمارهٔ قطعی در سوابق "
        "مشتری ثبت کنید.</p>",
        ArticleVisibility.INTERNAL,
    ),
]


def load_demo_articles() -> None:
    from peyvand.access.models import User
    from peyvand.service.kb.services import add_translation, save_article, transition
    from peyvand.service.models import Article

    author = User.objects.filter(username="service1").first()
    reviewer = User.objects.filter(username="manager").first()
    if author is None or reviewer is None:
        return
    for en_title, en_body, fa_title, fa_body, visibility in ARTICLES:
        if Article.objects.filter(title=en_title).exists():
            continue
        english = save_article(
            None,
            actor=author,
            title=en_title,
            body=en_body,
            language="en",
            visibility=visibility,
        )
        persian = add_translation(
            english, actor=author, title=fa_title, body=fa_body, language="fa"
        )
        for article in (english, persian):
            transition(article, actor=author, action="submit")
            transition(article, actor=reviewer, action="publish")
