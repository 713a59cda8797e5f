"""Benchmark: knowledge-base search over 100k articles in two languages.

    python bench/kb.py [--articles 100000] [--queries 300] [--database-url URL] [--reuse]

Without --database-url (or BENCH_DATABASE_URL) a fresh SQLite file in a temporary directory
is used; the database must be a scratch one (its articles are replaced). Articles are
generated from a Persian and an English vocabulary with a Zipf-like word frequency, so
some query words are common (thousands of matches) and most are rare, as in real help
centres; half the Persian text is written with Arabic ي/ك and some words with ZWNJ.

Figures, each beside a reference measured in the same run on the same database:
- public search (`selectors.search_public`: published public articles, every word,
  the last as a prefix, ranked), median and p95 over `--queries` queries of one to three
  words in either language, in the spelling variants users type;
- staff search (internal too, unpublished included);
- reference: fetching one article by primary key through the ORM.
Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FA_WORDS = [
    "چاپگر",
    "کابل",
    "مودم",
    "اینترنت",
    "گذرواژه",
    "حساب",
    "کاربری",
    "فاکتور",
    "پرداخت",
    "بازگشت",
    "کالا",
    "گارانتی",
    "نصب",
    "راه\u200cاندازی",
    "تنظیمات",
    "شبکه",
    "بی\u200cسیم",
    "سیم\u200cکارت",
    "پیامک",
    "ایمیل",
    "ورود",
    "خروج",
    "خطا",
    "پشتیبانی",
    "ارسال",
    "سفارش",
    "تحویل",
    "هزینه",
    "تخفیف",
    "اشتراک",
    "تمدید",
    "لغو",
    "پیگیری",
    "رسید",
    "کارت",
    "بانک",
    "درگاه",
    "نرم\u200cافزار",
    "به\u200cروزرسانی",
    "نسخه",
    "دستگاه",
    "باتری",
    "شارژ",
    "صفحه",
    "نمایش",
    "صدا",
    "بلندگو",
    "میکروفون",
    "دوربین",
    "حافظه",
    "پشتیبان\u200cگیری",
    "بازیابی",
    "امنیت",
    "رمز",
    "کد",
    "تأیید",
    "پیوند",
    "برنامه",
    "همراه",
    "رایانه",
    "لپ\u200cتاپ",
    "تبلت",
]
EN_WORDS = [
    "printer",
    "cable",
    "modem",
    "internet",
    "password",
    "account",
    "user",
    "invoice",
    "payment",
    "return",
    "goods",
    "warranty",
    "install",
    "setup",
    "settings",
    "network",
    "wireless",
    "sim",
    "message",
    "email",
    "login",
    "logout",
    "error",
    "support",
    "shipping",
    "order",
    "delivery",
    "cost",
    "discount",
    "subscription",
    "renewal",
    "cancel",
    "tracking",
    "receipt",
    "card",
    "bank",
    "gateway",
    "software",
    "update",
    "version",
    "device",
    "battery",
    "charge",
    "screen",
    "display",
    "sound",
    "speaker",
    "microphone",
    "camera",
    "memory",
    "backup",
    "restore",
    "security",
    "code",
    "verify",
    "link",
    "app",
    "mobile",
    "computer",
    "laptop",
    "tablet",
    "router",
    "firmware",
    "reset",
    "billing",
    "refund",
]


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PEYVAND_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _zipf_words(rng: random.Random, words: list[str], n: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return rng.choices(words, weights=weights, k=n)


def _arabic(text: str) -> str:
    return text.replace("ی", "ي").replace("ک", "ك")


def _generate(articles: int, seed: int) -> None:
    from django.db import connection, transaction

    from peyvand.service.kb.search import index_text
    from peyvand.service.models import Article

    rng = random.Random(seed)
    Article.objects.all().delete()
    batch: list[Article] = []
    with transaction.atomic():
        for i in range(articles):
            fa = i % 2 == 0
            words = FA_WORDS if fa else EN_WORDS
            title = " ".join(_zipf_words(rng, words, rng.randint(3, 7)))
            body = " ".join(_zipf_words(rng, words, rng.randint(60, 160)))
            if fa and rng.random() < 0.5:
                body = _arabic(body)
            status = "published" if rng.random() < 0.9 else "draft"
            batch.append(
                Article(
                    language="fa" if fa else "en",
                    title=title,
                    body=f"<p>{body}</p>",
                    visibility="public" if rng.random() < 0.7 else "internal",
                    status=status,
                    search_title=index_text(title),
                    search_text=index_text(body),
                )
            )
            if len(batch) == 5000:
                Article.objects.bulk_create(batch)
                batch.clear()
        Article.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)
    out = []
    for _ in range(n):
        words = FA_WORDS if rng.random() < 0.5 else EN_WORDS
        picked = rng.sample(words, rng.randint(1, 3))
        query = " ".join(picked)
        roll = rng.random()
        if words is FA_WORDS and roll < 0.3:
            query = _arabic(query)
        elif words is FA_WORDS and roll < 0.5:
            query = query.replace("\u200c", "")
        elif roll < 0.7:
            query = query[: max(3, len(query) - 2)]  # typing: last word cut short
        out.append(query)
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _time(fn: Any, items: list[Any]) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the articles of an earlier run when there are exactly --articles of them",
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="pv-kb-")
    url = args.database_url or f"sqlite:///{data_dir}/kb.sqlite3"
    _setup_django(url, data_dir)
    from django.db import connection

    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.service.kb import selectors
    from peyvand.service.models import Article

    ensure_departments_and_roles()
    agent = ensure_persona("service1", "bench-password-123")
    if not (args.reuse and Article.objects.count() == args.articles):
        started = time.perf_counter()
        _generate(args.articles, args.seed)
        print(
            f"generated {args.articles} articles in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    queries = _queries(args.queries, args.seed)
    ids = list(Article.objects.values_list("pk", flat=True)[: args.queries])
    hits = [len(selectors.search_public(q)) for q in queries[:50]]  # warm-up
    print(f"warm-up: {sum(1 for h in hits if h)} of 50 queries found articles", file=sys.stderr)
    public: list[float] = []
    staff: list[float] = []
    ref: list[float] = []
    for _round in range(3):  # interleaved, so load changes hit all three alike
        public += _time(selectors.search_public, queries)
        staff += _time(
            lambda q: selectors.search_for_staff(agent, q, include_unpublished=True), queries
        )
        ref += _time(lambda pk: Article.objects.get(pk=pk), ids)
    size = f"{args.articles:,} articles (fa + en), {connection.vendor}"
    ref_p95 = _percentile(ref, 0.95) * 1000
    for name, times in (("public search", public), ("staff search", staff)):
        p95 = _percentile(times, 0.95) * 1000
        print(
            f"| knowledge base: {name} | {size} | p95 {p95:.1f} ms "
            f"(median {statistics.median(times) * 1000:.1f}) | article by pk p95 {ref_p95:.2f} ms "
            f"| {p95 / ref_p95:.1f} |"
        )


if __name__ == "__main__":
    main()
