"""Realistic generated data at scale, for benchmarks and load tests (`peyvand seed`).

Generation is vectorised with numpy and keyed by the seed, so one seed always gives the
same rows. Each table is generated in sub-blocks of `BLOCK` rows, each with its own random
stream derived from (seed, table, block number): the data does not depend on `--batch`,
which only sets how many rows travel per COPY chunk or executemany call.

Loading: PostgreSQL gets text-format COPY streams (psycopg 3 `cursor.copy()`), SQLite gets
`executemany` in one big transaction. Row ids of customers and orders are reserved up
front, so every foreign key is known before a row is sent and nothing is read back.
The whole run is one transaction: it lands completely or not at all.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import IO, Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Model

from peyvand.customers.search import search_text_for

BLOCK = 10_000
YEARS = 3
MINUTES_PER_DAY = 24 * 60
# Tehran is UTC+03:30; business hours 08:00-20:00 there are 04:30-16:30 UTC.
_BUSINESS_START_MIN = 4 * 60 + 30
_BUSINESS_MINUTES = 12 * 60

Progress = Callable[[str], None]

# --- pools -----------------------------------------------------------------------------
# Persian names with the Latin spelling people use in their email addresses. ZWNJ
# (U+200C) appears inside compound names, as it does in real records.
FA_MALE = [
    ("محمد", "mohammad"), ("علی", "ali"), ("حسین", "hossein"), ("رضا", "reza"),
    ("مهدی", "mahdi"), ("امیر", "amir"), ("حسن", "hassan"), ("سعید", "saeed"),
    ("مجید", "majid"), ("حمید", "hamid"), ("کامران", "kamran"), ("بهروز", "behrouz"),
    ("فرهاد", "farhad"), ("داریوش", "dariush"), ("کوروش", "kourosh"), ("آرش", "arash"),
    ("پیمان", "peyman"), ("مرتضی", "morteza"), ("مصطفی", "mostafa"), ("یوسف", "yousef"),
    ("نیما", "nima"), ("سینا", "sina"), ("بابک", "babak"), ("میلاد", "milad"),
    ("هادی", "hadi"), ("احسان", "ehsan"), ("وحید", "vahid"), ("کاظم", "kazem"),
    ("یاسر", "yaser"), ("عبدالله", "abdollah"), ("امیرحسین", "amirhossein"), ("کیان", "kian"),
]  # fmt: skip
FA_FEMALE = [
    ("فاطمه", "fatemeh"), ("زهرا", "zahra"), ("مریم", "maryam"), ("سارا", "sara"),
    ("نرگس", "narges"), ("الهام", "elham"), ("لیلا", "leila"), ("مینا", "mina"),
    ("شیرین", "shirin"), ("نگار", "negar"), ("پریسا", "parisa"), ("مهسا", "mahsa"),
    ("سمیرا", "samira"), ("نازنین", "nazanin"), ("یاسمن", "yasaman"), ("کیمیا", "kimia"),
    ("رویا", "roya"), ("ژاله", "zhaleh"), ("سمانه", "samaneh"), ("فرشته", "fereshteh"),
    ("هانیه", "hanieh"), ("مهناز", "mahnaz"), ("شیدا", "sheida"), ("پروین", "parvin"),
    ("کتایون", "katayoun"), ("نیلوفر", "niloufar"), ("ملیکا", "melika"), ("آیدا", "aida"),
]  # fmt: skip
FA_LAST = [
    ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("احمدی", "ahmadi"), ("رضایی", "rezaei"),
    ("کریمی", "karimi"), ("موسوی", "mousavi"), ("جعفری", "jafari"), ("رحیمی", "rahimi"),
    ("کاظمی", "kazemi"), ("صادقی", "sadeghi"), ("قاسمی", "ghasemi"), ("نوری", "nouri"),
    ("تهرانی", "tehrani"), ("اصفهانی", "esfahani"), ("شیرازی", "shirazi"), ("یزدانی", "yazdani"),
    ("کرمانی", "kermani"), ("حیدری", "heidari"), ("عباسی", "abbasi"), ("مرادی", "moradi"),
    ("ملکی", "maleki"), ("سلیمانی", "soleimani"), ("یوسفی", "yousefi"), ("اکبری", "akbari"),
    ("نجفی", "najafi"), ("زارعی", "zarei"), ("کیانی", "kiani"), ("فراهانی", "farahani"),
    ("کاشانی", "kashani"), ("طباطبایی", "tabatabaei"), ("شریفی", "sharifi"), ("باقری", "bagheri"),
    ("ابراهیمی", "ebrahimi"), ("امینی", "amini"), ("رستمی", "rostami"), ("خسروی", "khosravi"),
    ("نیک\u200cنام", "niknam"), ("حسین\u200cپور", "hosseinpour"),
    ("عبدالله\u200cزاده", "abdollahzadeh"), ("کریم\u200cخانی", "karimkhani"),
]  # fmt: skip
EN_FIRST = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Susan", "Richard", "Jessica", "Thomas", "Sarah", "Daniel", "Emma",
    "Oliver", "Sophia", "Lucas", "Mia", "Liam", "Olivia", "Noah", "Ava", "Ali", "Reza", "Sara",
    "Maryam", "Hossein", "Leila", "Jürgen", "Zoë", "Mehmet", "Elif",
]  # fmt: skip
EN_LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Müller", "Schmidt",
    "Rossi", "Dubois", "Yılmaz", "Karimi", "Ahmadi", "Tehrani", "O'Brien", "Nguyen",
]  # fmt: skip
FA_ORG_HEAD = ["شرکت", "گروه صنعتی", "فروشگاه", "بازرگانی", "هلدینگ", "کارخانه"]
FA_ORG_WORD = [
    ("پارس", "pars"), ("آریا", "arya"), ("نوین", "novin"), ("البرز", "alborz"),
    ("سپهر", "sepehr"), ("کیان", "kian"), ("دماوند", "damavand"), ("زاگرس", "zagros"),
    ("مهر", "mehr"), ("آسیا", "asia"), ("خلیج فارس", "khalijfars"), ("پیشگامان", "pishgaman"),
    ("ستاره", "setareh"), ("رایان", "rayan"),
]  # fmt: skip
FA_ORG_TRADE = ["تجارت", "صنعت", "پخش", "فناوری", "الکترونیک", "سازه", "دارو", "غذا", "نساجی"]
EN_ORG_WORD = [
    "Acme", "Blue River", "Northwind", "Contoso", "Globex", "Summit", "Pioneer", "Atlas",
    "Orion", "Vertex", "Silk Road", "Caspian", "Persepolis", "Zenith",
]  # fmt: skip
EN_ORG_TRADE = ["Trading", "Logistics", "Foods", "Systems", "Textiles", "Pharma", "Motors"]
EN_ORG_SUFFIX = ["Ltd", "LLC", "GmbH", "Co.", "Inc.", "FZE", "A.Ş."]
# (Persian name, English name, area code, relative weight)
IR_CITIES = [
    ("تهران", "Tehran", "21", 30), ("مشهد", "Mashhad", "51", 8), ("اصفهان", "Isfahan", "31", 7),
    ("کرج", "Karaj", "26", 5), ("شیراز", "Shiraz", "71", 5), ("تبریز", "Tabriz", "41", 5),
    ("قم", "Qom", "25", 3), ("اهواز", "Ahvaz", "61", 3), ("کرمانشاه", "Kermanshah", "83", 2),
    ("رشت", "Rasht", "13", 2), ("یزد", "Yazd", "35", 2), ("کرمان", "Kerman", "34", 2),
    ("ارومیه", "Urmia", "44", 2), ("همدان", "Hamadan", "81", 1), ("اراک", "Arak", "86", 1),
    ("قزوین", "Qazvin", "28", 1), ("ساری", "Sari", "11", 1), ("بندرعباس", "Bandar Abbas", "76", 1),
]  # fmt: skip
FA_STREETS = [
    "خیابان ولیعصر", "خیابان انقلاب", "بلوار کشاورز", "خیابان آزادی", "خیابان فردوسی",
    "خیابان شریعتی", "میدان ونک", "بلوار میرداماد", "خیابان چهارباغ", "خیابان زند",
    "بلوار وکیل‌آباد", "خیابان امام", "کوچه گلستان", "بلوار ساحلی",
]  # fmt: skip
# (city, country code, E.164 prefix, digits after the prefix, street pattern)
FOREIGN = [
    ("Dubai", "AE", "+97150", 7, "{n} Sheikh Zayed Road, Dubai"),
    ("Istanbul", "TR", "+90532", 7, "İstiklal Caddesi {n}, Istanbul"),
    ("London", "GB", "+447400", 6, "{n} Baker Street, London"),
    ("Hamburg", "DE", "+49151", 8, "Mönckebergstraße {n}, Hamburg"),
    ("Toronto", "CA", "+14162", 6, "{n} Queen Street West, Toronto"),
]
IR_MOBILE_PREFIXES = [
    "910", "911", "912", "913", "914", "915", "916", "917", "918", "919", "901", "902",
    "903", "905", "930", "933", "935", "936", "937", "938", "939", "920", "921", "990", "991",
]  # fmt: skip
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "chmail.ir", "hotmail.com", "mail.ir"]
TAGS = [
    "VIP", "wholesale", "retail", "B2B", "newsletter", "reseller", "partner", "export",
    "at-risk", "event-2024", "مشتری وفادار", "عمده‌فروش", "نمایشگاه ۱۴۰۲", "همکار تجاری",
]  # fmt: skip
MESSENGERS = ["telegram", "whatsapp", "eitaa", "bale"]

# Interaction subjects per channel, in Persian and English.
SUBJECTS: dict[str, tuple[list[str], list[str]]] = {
    "email": (
        ["پیگیری سفارش", "درخواست پیش‌فاکتور", "سوال درباره گارانتی", "ارسال فاکتور", "تغییر آدرس"],
        [
            "Order follow-up",
            "Quote request",
            "Warranty question",
            "Invoice copy",
            "Change of address",
        ],
    ),
    "sms": (
        ["یادآوری پرداخت", "کد پیگیری ارسال", "تخفیف ویژه نوروز", "تایید سفارش"],
        ["Payment reminder", "Shipment tracking code", "Nowruz offer", "Order confirmed"],
    ),
    "phone": (
        ["تماس پیگیری", "شکایت از تاخیر ارسال", "مشاوره خرید", "هماهنگی نصب"],
        ["Follow-up call", "Late delivery complaint", "Pre-sales advice", "Installation booking"],
    ),
    "chat": (
        ["سوال درباره موجودی", "راهنمای استفاده", "پیگیری مرجوعی"],
        ["Stock question", "How-to help", "Return status"],
    ),
    "fax": (["ارسال قرارداد امضاشده", "حواله بانکی"], ["Signed contract", "Bank transfer slip"]),
    "visit": (
        ["بازدید از دفتر مشتری", "جلسه معرفی محصول", "بازدید از نمایشگاه"],
        ["Site visit", "Product demo meeting", "Trade fair visit"],
    ),
    "webform": (["فرم تماس با ما", "درخواست نمایندگی"], ["Contact form", "Reseller application"]),
    "portal": (["ثبت درخواست در پورتال", "دانلود فاکتور"], ["Portal request", "Invoice download"]),
    "note": (
        ["یادداشت داخلی", "مشتری تمایل به خرید عمده دارد"],
        ["Internal note", "Customer interested in bulk order"],
    ),
}
BODIES = (
    ["", "", "مشتری راضی بود.", "قرار شد هفته آینده دوباره تماس بگیریم.", "مدارک ارسال شد."],
    ["", "", "Customer was happy.", "We agreed to call again next week.", "Documents sent."],
)
# channel -> (weight, P(inbound), P(internal))
CHANNELS: dict[str, tuple[float, float, float]] = {
    "email": (22, 0.5, 0.0),
    "phone": (22, 0.55, 0.0),
    "sms": (18, 0.3, 0.0),
    "chat": (12, 0.8, 0.0),
    "note": (10, 0.0, 1.0),
    "visit": (5, 0.6, 0.0),
    "webform": (5, 1.0, 0.0),
    "portal": (4, 1.0, 0.0),
    "fax": (2, 0.5, 0.0),
}
PREFERRED_CHANNELS = [
    ("sms", 30), ("phone", 25), ("email", 20), ("messenger", 10), ("chat", 5),
    ("portal", 5), ("post", 2), ("", 3),
]  # fmt: skip
ORDER_STATUSES = [("fulfilled", 70), ("confirmed", 20), ("cancelled", 7), ("draft", 3)]
# currency -> (median amount, sigma of log, rounding step)
AMOUNTS = {
    "IRR": (25_000_000.0, 1.1, 10_000.0),
    "USD": (150.0, 1.0, 0.01),
    "EUR": (140.0, 1.0, 0.01),
}
CURRENCIES = ["IRR", "USD", "EUR"]
_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _weights(values: Sequence[float]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def _obj(values: Sequence[str]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


# --- options and result ----------------------------------------------------------------


@dataclass(frozen=True)
class SeedOptions:
    customers: int
    orders: int = 0
    interactions: int = 0
    seed: int = 1
    batch: int = 100_000
    # The generated history ends where this day begins (default: today); fix it to get
    # identical data on another day.
    until: dt.date | None = None


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    id_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0


# --- the plan: what spans the whole run -------------------------------------------------


@dataclass
class Staff:
    owner_ids: np.ndarray  # users who own customers (sales)
    owner_departments: np.ndarray  # the department of each owner
    agent_ids: np.ndarray  # users who handle interactions
    default_department: int


@dataclass
class Plan:
    """Everything one row of a later table needs to know about its customer.

    Orders and interactions are laid out in time order, as a real system writes them:
    ids and order numbers grow with time.
    """

    options: SeedOptions
    staff: Staff
    start: dt.datetime
    total_minutes: int
    customer_id0: int
    order_id0: int
    order_ct: int
    created_min: np.ndarray  # customer creation, minutes since `start`
    currency: np.ndarray  # index into CURRENCIES
    owner: np.ndarray  # index into staff.owner_ids, -1 for none
    lang_fa: np.ndarray  # bool
    customer_text: np.ndarray  # "id" of each customer
    customer_owner_text: np.ndarray  # "id<TAB>owner id" of each customer
    order_customer: np.ndarray  # customer index of each order
    order_minute: np.ndarray
    orders_by_customer: np.ndarray  # order indexes grouped by customer
    order_first: np.ndarray  # where each customer's group starts in orders_by_customer
    order_count: np.ndarray
    interaction_customer: np.ndarray
    interaction_minute: np.ndarray


def _rng(seed: int, table: int, block: int) -> np.random.Generator:
    return np.random.default_rng([seed, table, block])


def _timeline(
    rng: np.random.Generator, counts: np.ndarray, created: np.ndarray, total: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and minute of each event, between the customer's creation and the
    end, in time order."""
    customer = np.repeat(np.arange(len(counts)), counts)
    # From the day after the customer was created: business hours are placed per day.
    first_day = created[customer] // MINUTES_PER_DAY + 1
    days = total // MINUTES_PER_DAY
    day = first_day + (rng.random(len(customer)) * (days - first_day)).astype(np.int64)
    minute = _business_hours(day * MINUTES_PER_DAY, rng)
    order = _stable_argsort(minute)
    return customer[order], minute[order]


def _stable_argsort(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for non-negative integer keys, several times
    faster on tens of millions of them: a least-significant-digit radix sort in 16-bit
    digits, each pass numpy's stable sort of a 16-bit (or 8-bit) array, which is a
    counting sort. Keys here are minutes of three years or row numbers: two passes."""
    n = len(keys)
    if n == 0:
        return np.arange(0, dtype=np.intp)
    top = int(keys.max())
    if int(keys.min()) < 0 or top >= 1 << 32:
        return np.argsort(keys, kind="stable")
    order = np.arange(n, dtype=np.intp)
    shift = 0
    while True:
        digit = (keys[order] >> shift) & 0xFFFF if shift else keys & 0xFFFF
        remaining = top >> shift
        digit = digit.astype(np.uint8 if remaining < 1 << 8 else np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
        if top >> shift == 0:
            return order


def make_plan(
    options: SeedOptions, staff: Staff, *, customer_id0: int, order_id0: int, order_ct: int
) -> Plan:
    n = options.customers
    rng = _rng(options.seed, 0, 0)
    until = options.until or dt.datetime.now(dt.UTC).date()
    # History ends at the start of `until`, so nothing generated lies in the future.
    end = dt.datetime.combine(until, dt.time(), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365 * YEARS)
    total = 365 * YEARS * MINUTES_PER_DAY
    # Growth: more customers joined recently than three years ago.
    created = (np.sqrt(rng.random(n)) * (total - 2 * MINUTES_PER_DAY)).astype(np.int64)
    created = _business_hours(created, rng)
    lang_fa = rng.random(n) < 0.82
    currency = np.where(
        lang_fa,
        rng.choice(3, n, p=[0.93, 0.05, 0.02]),
        rng.choice(3, n, p=[0.35, 0.4, 0.25]),
    )
    owners = len(staff.owner_ids)
    owner = rng.integers(0, owners, n) if owners else np.full(n, -1)
    owner = np.where(rng.random(n) < 0.1, -1, owner)
    # Purchase propensity: heavy-tailed, so a few customers buy a lot and most buy little;
    # a customer who joined later has had less time to buy.
    tenure = (total - created) / total
    propensity = rng.lognormal(0.0, 1.2, n) * (0.2 + tenure)
    propensity /= propensity.sum() or 1.0
    order_count = rng.multinomial(options.orders, propensity) if n else np.zeros(0, np.int64)
    order_customer, order_minute = _timeline(rng, order_count, created, total)
    orders_by_customer = _stable_argsort(order_customer)
    order_first = np.concatenate([[0], np.cumsum(order_count)[:-1]]).astype(np.int64)
    chatter = propensity * 0.6 + rng.lognormal(0.0, 1.0, n) * 0.4 / max(n, 1)
    interaction_count = (
        rng.multinomial(options.interactions, chatter / chatter.sum()) if n else order_count
    )
    interaction_customer, interaction_minute = _timeline(rng, interaction_count, created, total)
    ids = range(customer_id0, customer_id0 + n)
    owner_text = [str(o) for o in staff.owner_ids.tolist()]
    return Plan(
        options=options,
        staff=staff,
        start=start,
        total_minutes=total,
        customer_id0=customer_id0,
        order_id0=order_id0,
        order_ct=order_ct,
        created_min=created,
        currency=currency,
        owner=owner,
        lang_fa=lang_fa,
        customer_text=_obj([str(i) for i in ids]),
        customer_owner_text=_obj(
            [
                f"{i}\t{owner_text[o] if o >= 0 else NULL}"
                for i, o in zip(ids, owner.tolist(), strict=True)
            ]
        ),
        order_customer=order_customer,
        order_minute=order_minute,
        orders_by_customer=orders_by_customer,
        order_first=order_first,
        order_count=order_count,
        interaction_customer=interaction_customer,
        interaction_minute=interaction_minute,
    )


# --- text for time stamps ---------------------------------------------------------------


class Clock:
    """Minute index -> timestamp text, by table lookup: formatting 30M datetimes one by one
    would cost more than generating everything else."""

    def __init__(self, start: dt.datetime, total_minutes: int, *, postgres: bool) -> None:
        days = total_minutes // MINUTES_PER_DAY + 1
        day_text = _obj([(start + dt.timedelta(days=d)).strftime("%Y-%m-%d ") for d in range(days)])
        suffix = "+00" if postgres else ""
        # Seconds vary with the minute so stamps do not all end in :00.
        minute_text = _obj(
            [
                f"{m // 60:02d}:{m % 60:02d}:{(m * 37) % 60:02d}{suffix}"
                for m in range(MINUTES_PER_DAY)
            ]
        )
        self.table = (day_text[:, None] + minute_text[None, :]).ravel()

    def text(self, minutes: np.ndarray) -> list[str]:
        return self.table[minutes].tolist()


# --- generators --------------------------------------------------------------------------


@dataclass
class Rows:
    """Column-major rows of one table: what a writer sends.

    Each list in `values` holds one piece of every row: the text of one or more
    neighbouring columns in COPY text form (tab between columns, NULL as \\N).
    """

    table: str
    columns: list[str]
    values: list[list[str]]

    def __len__(self) -> int:
        return len(self.values[0]) if self.values else 0


def _columns(model: type[Model], attnames: Sequence[str]) -> tuple[str, list[str]]:
    by_attname = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    return model._meta.db_table, [by_attname[a] for a in attnames]


@lru_cache(maxsize=1)
def _name_pools() -> dict[str, list[str]]:
    """Each Persian name twice: as typed on a Persian keyboard and on an Arabic one (ي, ك)."""
    fa_first = FA_MALE + FA_FEMALE
    return {
        "fa_first": [n for n, _ in fa_first] + [n.translate(_ARABIC) for n, _ in fa_first],
        "fa_first_latin": [t for _, t in fa_first] * 2,
        "fa_last": [n for n, _ in FA_LAST] + [n.translate(_ARABIC) for n, _ in FA_LAST],
        "fa_last_latin": [t for _, t in FA_LAST] * 2,
    }


_CUSTOMER_FIELDS = [
    "id", "created_at", "updated_at", "deleted_at", "kind", "display_name", "first_name",
    "last_name", "organization_name", "preferred_language", "preferred_channel", "currency",
    "custom", "notes", "search_text", "name_key", "external_ref", "deleted_by_id",
    "department_id", "merged_into_id", "owner_id",
]  # fmt: skip
_CONTACT_FIELDS = [
    "created_at", "updated_at", "kind", "label", "value", "normalized", "is_primary", "customer_id",
]  # fmt: skip
# Columns in the order the generators emit them: neighbours that are formatted together.
_ORDER_FIELDS = [
    "id", "number", "customer_id", "created_by_id", "created_at", "updated_at", "ordered_at",
    "status", "total_currency", "total", "deleted_at", "deleted_by_id", "external_ref", "notes",
]  # fmt: skip
_INTERACTION_FIELDS = [
    "customer_id", "created_at", "updated_at", "occurred_at", "channel", "direction",
    "agent_id", "subject", "body", "duration_seconds", "related_type_id", "related_id",
    "deleted_at", "deleted_by_id", "external_id",
]  # fmt: skip
_CHANNEL_NAMES = list(CHANNELS)
_SELF_SERVICE = [_CHANNEL_NAMES.index("webform"), _CHANNEL_NAMES.index("portal")]
_MAX_SUBJECTS = max(len(pool) for pair in SUBJECTS.values() for pool in pair)
NULL = "\\N"


def _fmt_phone(e164: str, style: int) -> str:
    """The ways people write an Iranian mobile number; the stored key is always E.164."""
    national = "0" + e164[3:]
    if style == 0:
        return e164
    if style == 1:
        return national
    if style == 2:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if style == 3:
        return national.translate(_PERSIAN_DIGITS)
    return f"+98 {e164[3:6]} {e164[6:9]} {e164[9:]}"


@dataclass
class CustomerBlock:
    customers: Rows
    contacts: Rows
    tags: Rows


class Generator:
    """Turns a plan into rows, one sub-block of `BLOCK` rows at a time."""

    def __init__(self, plan: Plan, *, postgres: bool, tag_ids: dict[str, int]) -> None:
        self.plan = plan
        self.postgres = postgres
        self.clock = Clock(plan.start, plan.total_minutes, postgres=postgres)
        self.tag_ids = tag_ids
        self.true, self.false = ("t", "f") if postgres else ("1", "0")

    # customers, their contact points and tags
    def customers(self, block: int) -> CustomerBlock:
        # The importer's cached normaliser and name key: names, cities and tags repeat.
        from peyvand.imports.rows import name_key, normalize

        p, opts = self.plan, self.plan.options
        lo = block * BLOCK
        hi = min(lo + BLOCK, opts.customers)
        n = hi - lo
        rng = _rng(opts.seed, 1, block)
        pools = _name_pools()
        ids = np.arange(lo, hi) + p.customer_id0
        fa = p.lang_fa[lo:hi]
        is_org = rng.random(n) < 0.12
        female = rng.random(n) < 0.48
        # About one Persian record in six was typed with Arabic ي/ك.
        arabic = (rng.random(n) < 0.16).astype(np.int64)
        n_fa_first = len(FA_MALE) + len(FA_FEMALE)
        fa_first_idx = np.where(
            female,
            len(FA_MALE) + rng.integers(0, len(FA_FEMALE), n),
            rng.integers(0, len(FA_MALE), n),
        )
        fa_last_idx = rng.integers(0, len(FA_LAST), n)
        en_first_idx = rng.integers(0, len(EN_FIRST), n)
        en_last_idx = rng.integers(0, len(EN_LAST), n)
        org_head = rng.integers(0, len(FA_ORG_HEAD), n)
        org_word = rng.integers(0, len(FA_ORG_WORD), n)
        org_trade = rng.integers(0, len(FA_ORG_TRADE), n)
        en_org_word = rng.integers(0, len(EN_ORG_WORD), n)
        en_org_suffix = rng.integers(0, len(EN_ORG_SUFFIX), n)
        city = rng.choice(len(IR_CITIES), n, p=_weights([c[3] for c in IR_CITIES]))
        foreign = (~fa) & (rng.random(n) < 0.6)
        foreign_idx = rng.integers(0, len(FOREIGN), n)
        has_phone = rng.random(n) < 0.93
        second_phone = rng.random(n) < 0.15
        has_email = rng.random(n) < np.where(is_org, 0.9, 0.65)
        has_address = rng.random(n) < 0.55
        has_messenger = rng.random(n) < 0.1
        has_website = is_org & (rng.random(n) < 0.5)
        phone_style = rng.choice(5, n, p=[0.35, 0.3, 0.15, 0.1, 0.1])
        mobile_prefix = rng.integers(0, len(IR_MOBILE_PREFIXES), n)
        email_domain = rng.integers(0, len(EMAIL_DOMAINS), n)
        email_style = rng.integers(0, 3, n)
        messenger = rng.integers(0, len(MESSENGERS), n)
        plate = rng.integers(1, 400, n)
        street = rng.integers(0, len(FA_STREETS), n)
        n_tags = rng.choice(4, n, p=[0.45, 0.35, 0.15, 0.05])
        tag_pick = rng.random((n, len(TAGS))).argsort(axis=1)[:, :3]
        channel = rng.choice(
            len(PREFERRED_CHANNELS), n, p=_weights([c[1] for c in PREFERRED_CHANNELS])
        )
        # Row numbers of this run, not ids, make numbers and addresses unique: the same seed
        # gives the same data on any database. A permutation, so no two rows share a number.
        number = np.arange(lo, hi) + 1
        subscriber = (number * 7_654_321 + 1_234_567 * opts.seed) % 10_000_000
        created_text = self.clock.text(p.created_min[lo:hi])

        # Plain lists from here on: indexing numpy arrays one element at a time is slow.
        (
            ids, fa, is_org, arabic, fa_first_idx, fa_last_idx, en_first_idx, en_last_idx,
            org_head, org_word, org_trade, en_org_word, en_org_suffix, city, foreign,
            foreign_idx, has_phone, second_phone, has_email, has_address, has_messenger,
            has_website, phone_style, mobile_prefix, email_domain, email_style, messenger,
            plate, street, n_tags, tag_pick, channel, subscriber, owners, currency, number,
        ) = (
            a.tolist()
            for a in (
                ids, fa, is_org, arabic, fa_first_idx, fa_last_idx, en_first_idx, en_last_idx,
                org_head, org_word, org_trade, en_org_word, en_org_suffix, city, foreign,
                foreign_idx, has_phone, second_phone, has_email, has_address, has_messenger,
                has_website, phone_style, mobile_prefix, email_domain, email_style, messenger,
                plate, street, n_tags, tag_pick, channel, subscriber, p.owner[lo:hi],
                p.currency[lo:hi], number,
            )
        )  # fmt: skip
        owner_ids = [str(o) for o in p.staff.owner_ids.tolist()]
        owner_departments = [str(d) for d in p.staff.owner_departments.tolist()]
        default_department = str(p.staff.default_department)
        tag_names = [TAGS[t] for t in range(len(TAGS))]
        tag_id_text = [str(self.tag_ids[t]) for t in TAGS]
        db_order = list(self.tag_ids)
        tag_rank = [db_order.index(t) for t in TAGS]
        customers: list[list[Any]] = [[] for _ in _CUSTOMER_FIELDS]
        contacts: list[list[Any]] = [[] for _ in _CONTACT_FIELDS]
        tag_customer: list[str] = []
        tag_tag: list[str] = []
        pf, pfl = pools["fa_first"], pools["fa_first_latin"]
        pl, pll = pools["fa_last"], pools["fa_last_latin"]
        for i in range(n):
            cid_text = str(ids[i])
            num = number[i]
            created = created_text[i]
            if is_org[i]:
                kind = "organization"
                first = last = ""
                if fa[i]:
                    word, slug = FA_ORG_WORD[org_word[i]]
                    name = f"{FA_ORG_HEAD[org_head[i]]} {word} {FA_ORG_TRADE[org_trade[i]]}"
                    if arabic[i]:
                        name = name.translate(_ARABIC)
                else:
                    word = EN_ORG_WORD[en_org_word[i]]
                    slug = word.lower().replace(" ", "")
                    name = f"{word} {EN_ORG_TRADE[org_trade[i] % len(EN_ORG_TRADE)]} {EN_ORG_SUFFIX[en_org_suffix[i]]}"
                org = name
                local = ("info", "sales", "office")[email_style[i]]
                domain = f"{slug}{num}.{'ir' if fa[i] else 'com'}"
            else:
                kind = "person"
                org = ""
                if fa[i]:
                    fi = fa_first_idx[i] + arabic[i] * n_fa_first
                    li = fa_last_idx[i] + arabic[i] * len(FA_LAST)
                    first, last = pf[fi], pl[li]
                    first_latin = pfl[fi]
                    last_latin = pll[li]
                else:
                    first = EN_FIRST[en_first_idx[i]]
                    last = EN_LAST[en_last_idx[i]]
                    first_latin = first.lower()
                    last_latin = last.lower().replace("'", "")
                name = f"{first} {last}"
                style = email_style[i]
                local = (
                    f"{first_latin}.{last_latin}{num}"
                    if style == 0
                    else f"{first_latin[0]}{last_latin}{num}"
                    if style == 1
                    else f"{last_latin}_{first_latin}{num}"
                )
                domain = EMAIL_DOMAINS[email_domain[i]]
            points: list[tuple[str, str, str, str]] = []  # kind, label, value, normalized
            if has_phone[i]:
                sub = f"{subscriber[i]:07d}"
                if foreign[i]:
                    f_city = FOREIGN[foreign_idx[i]]
                    e164 = f_city[2] + sub[-f_city[3] :].rjust(f_city[3], "3")
                    points.append(("phone", "mobile", e164, e164))
                elif is_org[i]:
                    area = IR_CITIES[city[i]][2]
                    e164 = f"+98{area}{3 + int(sub[0]) % 3}{sub}"
                    points.append(("phone", "office", f"0{area} {e164[5:]}", e164))
                else:
                    e164 = f"+98{IR_MOBILE_PREFIXES[mobile_prefix[i]]}{sub}"
                    points.append(("phone", "mobile", _fmt_phone(e164, phone_style[i]), e164))
                if second_phone[i] and not foreign[i]:
                    other = f"+98{IR_MOBILE_PREFIXES[(mobile_prefix[i] + 3) % len(IR_MOBILE_PREFIXES)]}{sub}"
                    points.append(("phone", "work", _fmt_phone(other, 1), other))
            if has_email[i]:
                email = f"{local}@{domain}"
                points.append(("email", "", email, email))
            if has_address[i]:
                if foreign[i]:
                    address = FOREIGN[foreign_idx[i]][4].format(n=plate[i])
                elif fa[i]:
                    digits = str(plate[i]).translate(_PERSIAN_DIGITS)
                    address = f"{FA_STREETS[street[i]]}، پلاک {digits}، {IR_CITIES[city[i]][0]}"
                else:
                    address = f"{plate[i]} Valiasr St, {IR_CITIES[city[i]][1]}, Iran"
                points.append(("address", "home" if kind == "person" else "office", address, ""))
            if has_messenger[i]:
                handle = f"@{local.split('.')[0][:20]}_{num % 10_000}"
                points.append(("messenger", MESSENGERS[messenger[i]], handle, ""))
            if has_website[i]:
                site = f"https://www.{domain}"
                points.append(("website", "", site, site.lower()))
            # In the order the customers service reads them back (contact points by kind,
            # tags by name), so search_text is exactly what a later save would compute.
            picked = sorted(tag_pick[i][: n_tags[i]], key=tag_rank.__getitem__)
            tags = [tag_names[t] for t in picked]
            normalized_values = []
            primary_seen: set[str] = set()
            points.sort(key=lambda point: point[0])
            for kind_, label, value, norm in points:
                if not norm:
                    norm = normalize(value)
                normalized_values.append(norm)
                primary = kind_ not in primary_seen
                primary_seen.add(kind_)
                for col, v in zip(
                    contacts,
                    (
                        created,
                        created,
                        kind_,
                        label,
                        value,
                        norm,
                        self.true if primary else self.false,
                        cid_text,
                    ),
                    strict=True,
                ):
                    col.append(v)
            for t in picked:
                tag_customer.append(cid_text)
                tag_tag.append(tag_id_text[t])
            owner_i = owners[i]
            owner_id = owner_ids[owner_i] if owner_i >= 0 else NULL
            department = owner_departments[owner_i] if owner_i >= 0 else default_department
            channel_name = PREFERRED_CHANNELS[channel[i]][0]
            row = (
                cid_text,
                created,
                created,
                NULL,
                kind,
                name,
                first,
                last,
                org,
                "fa" if fa[i] else "en",
                channel_name,
                CURRENCIES[currency[i]],
                "{}",
                "",
                search_text_for(
                    display_name=name,
                    first_name=first,
                    last_name=last,
                    organization_name=org,
                    contact_values=normalized_values,
                    tags=tags,
                    normalize=normalize,
                ),
                name_key(name),
                "",
                NULL,
                department,
                NULL,
                owner_id,
            )
            for col, v in zip(customers, row, strict=True):
                col.append(v)
        from peyvand.customers.models import ContactPoint, Customer

        c_table, c_cols = _columns(Customer, _CUSTOMER_FIELDS)
        p_table, p_cols = _columns(ContactPoint, _CONTACT_FIELDS)
        t_model = Customer.tags.through
        return CustomerBlock(
            customers=Rows(c_table, c_cols, customers),
            contacts=Rows(p_table, p_cols, contacts),
            tags=Rows(t_model._meta.db_table, ["customer_id", "tag_id"], [tag_customer, tag_tag]),
        )

    def orders(self, block: int) -> Rows:
        from peyvand.sales.models import Order

        p, opts = self.plan, self.plan.options
        lo = block * BLOCK
        hi = min(lo + BLOCK, opts.orders)
        n = hi - lo
        rng = _rng(opts.seed, 2, block)
        cust = p.order_customer[lo:hi]
        minute = p.order_minute[lo:hi]
        currency = p.currency[cust]
        # One order in ten is in rials whatever the customer's usual currency.
        currency = np.where(rng.random(n) < 0.1, 0, currency)
        medians = np.array([AMOUNTS[c][0] for c in CURRENCIES])[currency]
        sigmas = np.array([AMOUNTS[c][1] for c in CURRENCIES])[currency]
        steps = np.array([AMOUNTS[c][2] for c in CURRENCIES])[currency]
        amount = np.maximum(np.round(medians * rng.lognormal(0.0, sigmas) / steps) * steps, steps)
        status = rng.choice(len(ORDER_STATUSES), n, p=_weights([s[1] for s in ORDER_STATUSES]))
        # Recent orders are rarely fulfilled yet.
        recent = minute > p.total_minutes - 30 * MINUTES_PER_DAY
        status = np.where(recent & (status == 0), 1, status)
        stamp = self.clock.table[minute]
        status_currency = _obj([f"{st}\t{cur}" for st, _ in ORDER_STATUSES for cur in CURRENCIES])[
            status * len(CURRENCIES) + currency
        ]
        values: list[list[str]] = [
            [f"{i}\tSEED-{i:09d}" for i in range(lo + p.order_id0, hi + p.order_id0)],
            p.customer_owner_text[cust].tolist(),
            (stamp + "\t" + stamp + "\t" + stamp).tolist(),
            status_currency.tolist(),
            [f"{a:.2f}" for a in amount.tolist()],
            ["\\N\t\\N\t\t"] * n,
        ]
        table, cols = _columns(Order, _ORDER_FIELDS)
        return Rows(table, cols, values)

    def interactions(self, block: int) -> Rows:
        from peyvand.channels.models import Interaction

        p, opts = self.plan, self.plan.options
        lo = block * BLOCK
        hi = min(lo + BLOCK, opts.interactions)
        n = hi - lo
        rng = _rng(opts.seed, 3, block)
        cust = p.interaction_customer[lo:hi]
        minute = p.interaction_minute[lo:hi]
        channel = rng.choice(len(_CHANNEL_NAMES), n, p=_weights([c[0] for c in CHANNELS.values()]))
        inbound = rng.random(n) < np.array([c[1] for c in CHANNELS.values()])[channel]
        internal = np.array([c[2] for c in CHANNELS.values()])[channel] > 0
        direction = np.where(internal, 2, np.where(inbound, 0, 1))
        agents = len(p.staff.agent_ids)
        agent = rng.integers(0, agents, n) if agents else np.full(n, -1)
        # Web forms and the portal are self-service: no agent handled them.
        agent = np.where(np.isin(channel, _SELF_SERVICE), -1, agent)
        subject = rng.integers(0, _MAX_SUBJECTS, n)
        body = rng.integers(0, len(BODIES[0]), n)
        fa = p.lang_fa[cust].astype(np.int64)
        # The categorical columns of a row, as one code; each distinct code is formatted once.
        code = (
            (((channel * 3 + direction) * (agents + 1) + agent + 1) * _MAX_SUBJECTS + subject)
            * len(BODIES[0])
            + body
        ) * 2 + fa
        unique, inverse = np.unique(code, return_inverse=True)
        middle = _obj([self._interaction_middle(int(c)) for c in unique])[inverse]
        duration = rng.lognormal(np.log(180), 0.8, n).astype(np.int64) + 5
        is_phone = channel == _CHANNEL_NAMES.index("phone")
        # About one contact in seven is about one of the customer's orders.
        counts = p.order_count[cust]
        related = (rng.random(n) < 0.15) & (counts > 0)
        pick = p.order_first[cust] + (rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
        order_id = p.orders_by_customer[np.minimum(pick, len(p.orders_by_customer) - 1)]
        tail = np.full(n, "\\N\t\\N\t", dtype=object)
        special = np.flatnonzero(is_phone | related)
        order_type = str(p.order_ct)
        tail[special] = [
            f"{d if ph else NULL}\t{order_type if r else NULL}\t{o + p.order_id0 if r else ''}"
            for ph, d, r, o in zip(
                is_phone[special].tolist(),
                duration[special].tolist(),
                related[special].tolist(),
                order_id[special].tolist(),
                strict=True,
            )
        ]
        stamp = self.clock.table[minute]
        values: list[list[str]] = [
            p.customer_text[cust].tolist(),
            (stamp + "\t" + stamp + "\t" + stamp).tolist(),
            middle.tolist(),
            tail.tolist(),
            ["\\N\t\\N\t"] * n,
        ]
        table, cols = _columns(Interaction, _INTERACTION_FIELDS)
        return Rows(table, cols, values)

    def _interaction_middle(self, code: int) -> str:
        """channel, direction, agent, subject and body of one combination code."""
        code, fa = divmod(code, 2)
        code, body = divmod(code, len(BODIES[0]))
        code, subject = divmod(code, _MAX_SUBJECTS)
        agents = len(self.plan.staff.agent_ids)
        code, agent = divmod(code, agents + 1)
        channel, direction = divmod(code, 3)
        name = _CHANNEL_NAMES[channel]
        subjects = SUBJECTS[name][0 if fa else 1]
        agent_text = str(self.plan.staff.agent_ids[agent - 1]) if agent else NULL
        return "\t".join(
            (
                name,
                ("inbound", "outbound", "internal")[direction],
                agent_text,
                subjects[subject % len(subjects)],
                BODIES[0 if fa else 1][body],
            )
        )


def _business_hours(minutes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move each stamp into Tehran business hours on the same day (most contact happens then)."""
    day = minutes // MINUTES_PER_DAY
    in_day = _BUSINESS_START_MIN + rng.integers(0, _BUSINESS_MINUTES, len(minutes))
    return np.asarray(day * MINUTES_PER_DAY + in_day, dtype=np.int64)


# --- writers ------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Rows rendered for one database: COPY text for PostgreSQL, tuples for SQLite."""

    table: str
    columns: list[str]
    count: int
    payload: Any


def render(rows: Rows, *, postgres: bool) -> Chunk:
    if postgres:
        payload: Any = copy_text(rows) if len(rows) else ""
    else:
        payload = [
            tuple(None if v == NULL else v for v in "\t".join(pieces).split("\t"))
            for pieces in zip(*rows.values, strict=True)
        ]
    return Chunk(rows.table, rows.columns, len(rows), payload)


def copy_text(rows: Rows) -> str:
    """Rows in PostgreSQL COPY text format. The pools hold no tab, newline or backslash,
    so nothing needs escaping."""
    return "\n".join(map("\t".join, zip(*rows.values, strict=True))) + "\n"


class TableStream:
    def write(self, payload: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Writer:
    """Opens one stream per table; subclasses per database."""

    postgres = False

    def prepare(self) -> None:
        """Settings for a bulk load that must be made outside a transaction."""

    def begin(self) -> None:
        """Settings for a bulk load that live as long as the transaction."""

    def defer_indexes(self, tables: Sequence[str], *, say: Progress) -> None:
        """Make loading into `tables` cheaper, where the database allows it."""

    def restore(self, tables: Sequence[str], *, say: Progress) -> None:
        """Remake now what `defer_indexes` dropped on `tables` (the rest waits for `end`)."""

    def end(self, *, say: Progress) -> None:
        """Last work inside the transaction."""

    def finish(self) -> None:
        """Undo what `prepare` changed."""

    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh the planner's statistics after the commit."""

    def reserve_ids(self, table: str, count: int) -> int:
        raise NotImplementedError

    def stream(self, table: str, columns: list[str]) -> TableStream:
        raise NotImplementedError


@dataclass(frozen=True)
class Deferred:
    """An index or constraint dropped for a bulk load, and the statement that remakes it."""

    table: str
    name: str
    sql: str


# Secondary indexes, including those behind UNIQUE constraints; not the primary key (new
# ids only ever append to it, which costs little) and not an index a foreign key elsewhere
# depends on.
_SECONDARY_INDEXES = """
SELECT x.relname, pg_get_indexdef(i.indexrelid), con.conname,
       pg_get_constraintdef(con.oid)
FROM pg_index i
JOIN pg_class x ON x.oid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
     AND con.contype IN ('u', 'x')
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY x.relname
"""
_FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname
"""


def bulk_settings(cur: Any, *, superuser: bool) -> None:
    """Session settings of a bulk load, for the transaction only (also used by the
    benchmark's raw COPY reference, so both sides load under the same settings)."""
    if superuser:
        # Every foreign key of a generated row points at a row this same run reserved
        # and wrote, or at a user, tag or department it read; replica mode skips the
        # per-row trigger checks (what pg_restore --disable-triggers does) and leaves
        # every constraint in place.
        cur.execute("SET LOCAL session_replication_role = replica")
    # The trigram index of a non-empty table takes new rows into its pending list in big
    # gulps instead of merging every 4 MB; `restore_indexes` cleans the list.
    cur.execute("SET LOCAL gin_pending_list_limit = '256MB'")
    # Index builds sort in memory and use both cores; the one commit need not wait for
    # the WAL flush (a crash before it loses the run either way).
    cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
    cur.execute("SET LOCAL max_parallel_maintenance_workers = 2")
    cur.execute("SET LOCAL synchronous_commit = off")


def defer_indexes(cur: Any, tables: Sequence[str], *, foreign_keys: bool) -> list[Deferred]:
    """Drop the secondary indexes (and, with `foreign_keys`, the foreign keys) of each
    table in `tables` that is empty, and return what `restore_indexes` remakes.

    Building an index once over loaded rows is many times cheaper than maintaining a dozen
    of them row by row (random inserts into B-trees bigger than the buffer cache). Only
    empty tables: rebuilding over rows that were already there would cost more than it
    saves. Inside the transaction, so a failed run leaves every index as it was. Dropping
    takes an exclusive lock on the table until commit.
    """
    indexes: list[Deferred] = []
    keys: list[Deferred] = []
    for table in tables:
        # Writers wait from here, so the table cannot fill between the check and the drop.
        cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
        if cur.fetchone()[0]:
            continue
        if foreign_keys:
            cur.execute(_FOREIGN_KEYS, [table])
            for name, definition in cur.fetchall():
                keys.append(_constraint(table, name, definition))
                cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cur.execute(_SECONDARY_INDEXES, [table])
        for index, index_sql, constraint, definition in cur.fetchall():
            if constraint:
                indexes.append(_constraint(table, constraint, definition))
                cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            else:
                indexes.append(Deferred(table, index, index_sql))
                cur.execute(f'DROP INDEX "{index}"')
    # Foreign keys last: validating them reads the loaded rows, not the indexes.
    return indexes + keys


def _constraint(table: str, name: str, definition: str) -> Deferred:
    return Deferred(table, name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def restore_indexes(cur: Any, deferred: Sequence[Deferred], *, say: Progress) -> None:
    """Remake what `defer_indexes` dropped, then clean the pending list of every trigram
    index that took rows in while it stayed."""
    for item in deferred:
        started = time.perf_counter()
        cur.execute(item.sql)
        say(f"  {item.name} ({time.perf_counter() - started:.1f} s)")
    cur.execute(
        "SELECT DISTINCT c.oid::regclass::text FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE am.amname = 'gin' AND i.indrelid = ANY(%s::regclass[])",
        [list({d.table for d in deferred} | {"customers_customer"})],
    )
    for (index,) in cur.fetchall():
        cur.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])


class PostgresWriter(Writer):
    postgres = True

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.is_superuser = False
        self.deferred: list[Deferred] = []

    def begin(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.is_superuser = bool(cur.fetchone()[0])
            bulk_settings(cur, superuser=self.is_superuser)

    def defer_indexes(self, tables: Sequence[str], *, say: Progress) -> None:
        with self.conn.cursor() as cur:
            # Without replica mode every row would fire its foreign-key triggers: drop
            # the keys too and validate them once at the end.
            self.deferred = defer_indexes(cur, tables, foreign_keys=not self.is_superuser)
        if self.deferred:
            tables_done = sorted({d.table for d in self.deferred})
            say(
                f"{len(self.deferred)} indexes and constraints of empty tables dropped for the load ({', '.join(tables_done)})"
            )

    def restore(self, tables: Sequence[str], *, say: Progress) -> None:
        now = [d for d in self.deferred if d.table in tables]
        self.deferred = [d for d in self.deferred if d.table not in tables]
        if now:
            with self.conn.cursor() as cur:
                restore_indexes(cur, now, say=say)

    def end(self, *, say: Progress) -> None:
        with self.conn.cursor() as cur:
            restore_indexes(cur, self.deferred, say=say)
            if self.is_superuser:
                cur.execute("SET LOCAL session_replication_role = origin")

    def analyze(self, tables: Sequence[str]) -> None:
        with self.conn.cursor() as cur:
            for table in tables:
                cur.execute(f'ANALYZE "{table}"')

    def reserve_ids(self, table: str, count: int) -> int:
        with self.conn.cursor() as cur:
            # Concurrent inserts wait until this run commits; readers are not blocked.
            cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
            sequence = cur.fetchone()[0]
            cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            top = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s)", [sequence])
            first = max(int(cur.fetchone()[0]), top + 1)
            cur.execute("SELECT setval(%s, %s)", [sequence, first + max(count, 1) - 1])
        return first

    def stream(self, table: str, columns: list[str]) -> TableStream:
        return _PostgresStream(self.conn, table, columns)


class _PostgresStream(TableStream):
    def __init__(self, conn: Any, table: str, columns: list[str]) -> None:
        from psycopg.copy import QueuedLibpqWriter

        self.cursor = conn.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        # The network write runs in psycopg's thread, beside the next chunk's arrival.
        self.cm = self.cursor.copy(
            f'COPY "{table}" ({cols}) FROM STDIN', writer=QueuedLibpqWriter(self.cursor)
        )
        self.copy = self.cm.__enter__()

    def write(self, payload: Any) -> None:
        if payload:
            self.copy.write(payload)

    def close(self) -> None:
        self.cm.__exit__(None, None, None)
        self.cursor.close()


class SqliteWriter(Writer):
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.relaxed = False

    def prepare(self) -> None:
        cur = self.conn.cursor()
        # The whole load is one transaction: a crash mid-load rolls it back from the WAL
        # either way, so syncing every page on the way buys nothing. (Inside a caller's
        # transaction SQLite cannot change this; the load just runs a little slower.)
        self.relaxed = not self.conn.in_transaction
        if self.relaxed:
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("PRAGMA temp_store = MEMORY")
        cur.execute("PRAGMA cache_size = -262144")

    def finish(self) -> None:
        cur = self.conn.cursor()
        if self.relaxed:
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA temp_store = DEFAULT")
        cur.execute("PRAGMA cache_size = -2000")

    def reserve_ids(self, table: str, count: int) -> int:
        # The IMMEDIATE transaction already holds the write lock: nobody else inserts.
        cur = self.conn.cursor()
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        top = int(cur.fetchone()[0])
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table])
        row = cur.fetchone()
        return max(top, int(row[0]) if row else 0) + 1

    def stream(self, table: str, columns: list[str]) -> TableStream:
        return _SqliteStream(self.conn, table, columns)


class _SqliteStream(TableStream):
    def __init__(self, conn: Any, table: str, columns: list[str]) -> None:
        self.cursor = conn.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'

    def write(self, payload: Any) -> None:
        if payload:
            self.cursor.executemany(self.sql, payload)

    def close(self) -> None:
        self.cursor.close()


class _Batched(TableStream):
    """Gathers rendered sub-blocks until `batch` rows are ready, then sends them at once."""

    def __init__(self, stream: TableStream, batch: int, *, postgres: bool) -> None:
        self.stream, self.batch, self.postgres = stream, batch, postgres
        self.pending: list[Any] = []
        self.size = 0

    def add(self, chunk: Chunk) -> None:
        self.pending.append(chunk.payload)
        self.size += chunk.count
        if self.size >= self.batch:
            self.flush()

    def write(self, payload: Any) -> None:
        self.stream.write(payload)

    def flush(self) -> None:
        if self.pending:
            merged = "".join(self.pending) if self.postgres else list(chain(*self.pending))
            self.stream.write(merged)
        self.pending, self.size = [], 0

    def close(self) -> None:
        self.flush()
        self.stream.close()


class _Spool:
    """Rendered rows of a table whose stream must wait for another table's to finish."""

    def __init__(self, *, postgres: bool) -> None:
        self.postgres = postgres
        self.file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.chunks: list[Chunk] = []
        self.count = 0

    def add(self, chunk: Chunk) -> None:
        self.count += chunk.count
        if self.postgres:
            self.file.write(chunk.payload)
        else:
            self.chunks.append(chunk)

    def replay(self, stream: _Batched) -> None:
        if self.postgres:
            self.file.seek(0)
            while text := self.file.read(1 << 22):
                stream.write(text)
        for chunk in self.chunks:
            stream.add(chunk)
        stream.close()
        self.file.close()


# --- generation in worker processes -----------------------------------------------------

# The generator a forked worker inherits; set just before the pool starts.
_ACTIVE: Generator | None = None


def _work_to_file(task: tuple[str, int], directory: str) -> list[Chunk]:
    """`_work`, with each chunk's COPY text left in a file of `directory` (its path is the
    payload): what is generated ahead waits on disk, not in the loading process's memory."""
    chunks = _work(task)
    for n, chunk in enumerate(chunks):
        path = os.path.join(directory, f"{task[0]}-{task[1]}-{n}.copy")
        with open(path, "w", encoding="utf-8") as f:
            f.write(chunk.payload)
        chunk.payload = path
    return chunks


def _read_spooled(chunk: Chunk) -> Chunk:
    path = chunk.payload
    with open(path, encoding="utf-8") as f:
        chunk.payload = f.read()
    os.unlink(path)
    return chunk


def _work(task: tuple[str, int]) -> list[Chunk]:
    gen = _ACTIVE
    assert gen is not None
    kind, block = task
    if kind == "customers":
        made = gen.customers(block)
        parts = [made.customers, made.contacts, made.tags]
    elif kind == "orders":
        parts = [gen.orders(block)]
    else:
        parts = [gen.interactions(block)]
    return [render(rows, postgres=gen.postgres) for rows in parts]


class Blocks:
    """Rendered blocks in order, made by worker processes when there are any.

    At most `window` blocks are in flight, so a slow database holds memory steady.
    """

    def __init__(self, gen: Generator, workers: int) -> None:
        self.gen = gen
        self.workers = workers
        self.pool: Any = None

    def __enter__(self) -> Blocks:
        global _ACTIVE
        _ACTIVE = self.gen
        if self.workers > 0:
            import multiprocessing

            self.pool = multiprocessing.get_context("fork").Pool(self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        global _ACTIVE
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        _ACTIVE = None

    def ahead(self, plan: Sequence[tuple[str, int]], *, postgres: bool) -> Ahead:
        """Start generating the blocks of `plan` now, in order, before anyone asks for them
        (while the database builds indexes on one core, the workers use the other)."""
        return Ahead(self, plan, spool=self.pool is not None and postgres)

    def __call__(self, kind: str, count: int) -> Iterator[list[Chunk]]:
        tasks = [(kind, block) for block in _blocks(count)]
        if self.pool is None:
            yield from map(_work, tasks)
            return
        window = 2 * self.workers + 2
        pending: deque[Any] = deque()
        for task in tasks:
            pending.append(self.pool.apply_async(_work, (task,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


# At most this many blocks are generated ahead of the load (some 1.4 MB of COPY text each,
# kept in temporary files): enough to keep both cores busy while the customer indexes
# are built at full size, bounded so a slow database cannot fill the disk.
SPOOL_BLOCKS = 2048


class Ahead:
    """Blocks of several tables generated ahead, in load order, into temporary files;
    `ahead(kind)` yields those of one table. Without worker processes (or on SQLite, which
    defers no index) it only generates each table's blocks when they are asked for."""

    def __init__(self, blocks: Blocks, plan: Sequence[tuple[str, int]], *, spool: bool) -> None:
        self.blocks = blocks
        self.plan = dict(plan)
        self.tasks: deque[tuple[str, int]] = deque()
        self.pending: deque[tuple[str, Any]] = deque()
        self.directory: tempfile.TemporaryDirectory[str] | None = None
        if spool:
            self.directory = tempfile.TemporaryDirectory(
                prefix="peyvand-seed-", ignore_cleanup_errors=True
            )
            self.tasks.extend((kind, b) for kind, count in plan for b in _blocks(count))
            self._fill()

    def _fill(self) -> None:
        assert self.directory is not None
        while self.tasks and len(self.pending) < SPOOL_BLOCKS:
            task = self.tasks.popleft()
            result = self.blocks.pool.apply_async(_work_to_file, (task, self.directory.name))
            self.pending.append((task[0], result))

    def __call__(self, kind: str) -> Iterator[list[Chunk]]:
        if self.directory is None:
            yield from self.blocks(kind, self.plan[kind])
            return
        while self.pending and self.pending[0][0] == kind:
            chunks = self.pending.popleft()[1].get()
            self._fill()
            yield [_read_spooled(chunk) for chunk in chunks]

    def close(self) -> None:
        if self.directory is not None:
            self.directory.cleanup()


# --- the run ------------------------------------------------------------------------------


def ensure_staff(*, default_department_code: str = "sales") -> Staff:
    """Owners are the sales people who exist; a handful are created when there are none."""
    from peyvand.access.defaults import ensure_departments_and_roles
    from peyvand.access.models import Department, Role, User

    ensure_departments_and_roles()
    sales = Department.objects.get(code=default_department_code)
    owners = list(User.objects.filter(is_active=True, departments=sales).order_by("pk").distinct())
    if not owners:
        role = Role.objects.get(code="sales_rep")
        for i, (first, last) in enumerate(
            [("Parisa", "Moradi"), ("Kaveh", "Alavi"), ("Emily", "Clark"), ("Omid", "Jafari")],
            start=1,
        ):
            user, created = User.objects.get_or_create(
                username=f"seed.sales{i}",
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"seed.sales{i}@peyvand.local",
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.departments.add(sales)
                user.roles.add(role)
            owners.append(user)
    agents = list(
        User.objects.filter(is_active=True, departments__isnull=False)
        .order_by("pk")
        .distinct()
        .values_list("pk", flat=True)
    )
    owner_departments = []
    for user in owners:
        dept = user.departments.order_by("pk").values_list("pk", flat=True).first()
        owner_departments.append(dept or sales.pk)
    return Staff(
        owner_ids=np.array([u.pk for u in owners], dtype=np.int64),
        owner_departments=np.array(owner_departments, dtype=np.int64),
        agent_ids=np.array(agents, dtype=np.int64),
        default_department=sales.pk,
    )


def _ensure_tags() -> dict[str, int]:
    from peyvand.customers.models import Tag

    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    # In the database's order of names, which is how a customer's tags are read back.
    return dict(Tag.objects.filter(name__in=TAGS).order_by("name").values_list("name", "pk"))


def _blocks(count: int) -> range:
    return range((count + BLOCK - 1) // BLOCK)


def seed(
    options: SeedOptions,
    *,
    actor: Any = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> SeedResult:
    """Generate and load the rows `options` ask for, in one transaction.

    `workers` generation processes run beside this one (default: one per core).
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    result = SeedResult()
    connection.ensure_connection()
    raw = connection.connection
    writer: Writer = PostgresWriter(raw) if connection.vendor == "postgresql" else SqliteWriter(raw)
    writer.prepare()
    try:
        with transaction.atomic():
            writer.begin()
            gen = _generator(options, writer)
            say(f"plan ready ({time.perf_counter() - started:.1f} s)")
            tables = _tables(options)
            writer.defer_indexes(tables, say=say)
            with Blocks(gen, default_workers() if workers is None else workers) as blocks:
                result.counts = _load(options, writer, blocks, say=say, started=started)
            loaded = time.perf_counter()
            writer.end(say=say)
            say(f"indexes and constraints in place ({time.perf_counter() - loaded:.1f} s)")
            plan = gen.plan
            result.id_ranges = {
                "customers": (plan.customer_id0, plan.customer_id0 + options.customers - 1),
                "orders": (plan.order_id0, plan.order_id0 + options.orders - 1),
            }
            _audit(options, result, actor=actor)
    finally:
        writer.finish()
    committed = time.perf_counter()
    writer.analyze(tables)
    say(f"analyzed ({time.perf_counter() - committed:.1f} s)")
    result.seconds = time.perf_counter() - started
    return result


def _tables(options: SeedOptions) -> list[str]:
    """The tables this run writes rows into."""
    from peyvand.channels.models import Interaction
    from peyvand.customers.models import ContactPoint, Customer
    from peyvand.sales.models import Order

    tables = []
    if options.customers:
        tables += [Customer._meta.db_table, ContactPoint._meta.db_table]
        tables.append(Customer.tags.through._meta.db_table)
    if options.orders:
        tables.append(Order._meta.db_table)
    if options.interactions:
        tables.append(Interaction._meta.db_table)
    return tables


def default_workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _generator(options: SeedOptions, writer: Writer) -> Generator:
    from django.contrib.contenttypes.models import ContentType

    from peyvand.customers.models import Customer
    from peyvand.sales.models import Order

    staff = ensure_staff()
    tag_ids = _ensure_tags()
    customer_id0 = writer.reserve_ids(Customer._meta.db_table, options.customers)
    order_id0 = writer.reserve_ids(Order._meta.db_table, options.orders)
    plan = make_plan(
        options,
        staff,
        customer_id0=customer_id0,
        order_id0=order_id0,
        order_ct=ContentType.objects.get_for_model(Order).pk,
    )
    return Generator(plan, postgres=writer.postgres, tag_ids=tag_ids)


def _load(
    options: SeedOptions, writer: Writer, blocks: Blocks, *, say: Progress, started: float
) -> dict[str, int]:
    counts = {"customers": 0, "contact points": 0, "tags": 0, "orders": 0, "interactions": 0}
    postgres = writer.postgres

    def open_stream(chunk: Chunk) -> _Batched:
        return _Batched(writer.stream(chunk.table, chunk.columns), options.batch, postgres=postgres)

    # Contact points and tags are made with their customers, but one connection carries
    # one COPY at a time: they wait in spools until the customers stream is closed.
    spools = [_Spool(postgres=postgres), _Spool(postgres=postgres)]
    first: list[Chunk] = []
    stream: _Batched | None = None
    for customers, contacts, tags in blocks("customers", options.customers):
        if stream is None:
            stream, first = open_stream(customers), [contacts, tags]
        stream.add(customers)
        spools[0].add(contacts)
        spools[1].add(tags)
        counts["customers"] += customers.count
        _report(say, "customers", counts["customers"], options.customers, started)
    if stream is not None:
        stream.close()
        for spool, chunk, name in zip(spools, first, ("contact points", "tags"), strict=True):
            spool.replay(open_stream(chunk))
            counts[name] = spool.count
        say(f"contact points and tags: done ({time.perf_counter() - started:.1f} s)")
    later = (("orders", options.orders), ("interactions", options.interactions))
    ahead = blocks.ahead(later, postgres=postgres)
    try:
        # The customer tables are complete: their indexes (the trigram index is built on
        # one core) are remade while the workers generate orders and interactions.
        writer.restore(_tables(SeedOptions(customers=options.customers)), say=say)
        for name, count in later:
            stream = None
            for (chunk,) in ahead(name):
                stream = stream or open_stream(chunk)
                stream.add(chunk)
                counts[name] += chunk.count
                _report(say, name, counts[name], count, started)
            if stream is not None:
                stream.close()
    finally:
        ahead.close()
    return counts


def _report(say: Progress, name: str, done: int, total: int, started: float) -> None:
    if done == total or done % 200_000 < BLOCK:
        say(f"{name}: {done:,}/{total:,} ({time.perf_counter() - started:.1f} s)")


def _audit(options: SeedOptions, result: SeedResult, *, actor: Any) -> None:
    """One change-log row for the whole run.

    Seeded rows are synthetic bulk data, not changes a person made to a customer: a row
    per object would double the load and serialise millions of hashes behind the chain
    head's lock. The one row still puts the run in the chain with what it wrote and its
    id ranges, so seeded rows can always be told apart from real ones.
    """
    from django.contrib.contenttypes.models import ContentType

    from peyvand.audit.choices import ChangeAction
    from peyvand.audit.services import Change, write_changes
    from peyvand.customers.models import Customer

    summary = {
        "seed": options.seed,
        "until": options.until.isoformat() if options.until else None,
        "counts": result.counts,
        "id_ranges": {k: list(v) for k, v in result.id_ranges.items()},
    }
    write_changes(
        [Change(ChangeAction.IMPORT, ContentType.objects.get_for_model(Customer), None, summary)],
        actor=actor,
    )


def dump_copy_files(
    options: SeedOptions, directory: str, *, workers: int | None = None
) -> dict[str, tuple[list[str], str]]:
    """Write the COPY text a seed run on an empty database would send, one file per table,
    without loading anything: the benchmark's raw-COPY reference loads these files.

    Returns table -> (columns, path), in load order.
    """
    from django.contrib.contenttypes.models import ContentType

    from peyvand.sales.models import Order

    plan = make_plan(
        options,
        ensure_staff(),
        customer_id0=1,
        order_id0=1,
        order_ct=ContentType.objects.get_for_model(Order).pk,
    )
    gen = Generator(plan, postgres=True, tag_ids=_ensure_tags())
    files: dict[str, IO[str]] = {}
    out: dict[str, tuple[list[str], str]] = {}
    with Blocks(gen, default_workers() if workers is None else workers) as blocks:
        for kind, count in (
            ("customers", options.customers),
            ("orders", options.orders),
            ("interactions", options.interactions),
        ):
            for chunks in blocks(kind, count):
                for chunk in chunks:
                    if chunk.table not in files:
                        path = os.path.join(directory, f"{chunk.table}.copy")
                        files[chunk.table] = open(path, "w", encoding="utf-8")  # noqa: SIM115
                        out[chunk.table] = (chunk.columns, path)
                    files[chunk.table].write(chunk.payload)
    for f in files.values():
        f.close()
    return out
