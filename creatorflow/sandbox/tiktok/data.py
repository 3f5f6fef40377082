"""Deterministic, realistic US data: shops, catalogue, buyers, addresses and orders.

Every order draws from its own ``random.Random`` seeded with ``(seed, sequence number)``, so the
same seed always yields the same orders whatever else happened in between.
"""

from __future__ import annotations

import random
import string
from decimal import ROUND_HALF_UP, Decimal

from creatorflow.sandbox.tiktok.model import Address, Line, Order, Product, Shop, Sku

CENT = Decimal("0.01")

LATIN_FIRST = (
    "James", "Mary", "José", "María", "Zoë", "Chloé", "Renée", "François", "Björn", "Søren",
    "Siobhán", "Priya", "Aarav", "Olumide", "Chiamaka", "Łukasz", "Zofia", "İbrahim", "Ayşe",
    "Mateo", "Camila", "Ethan", "Olivia", "Liam", "Emma", "Noah", "Ava", "Joaquín", "Inés",
    "Anaïs", "Jürgen", "Dominique", "Kai", "Tyler", "Brianna",
)  # fmt: skip
LATIN_LAST = (
    "Smith", "Johnson", "García", "Martínez", "Rodríguez", "Hernández", "López", "Müller",
    "Schröder", "O'Brien", "Nguyễn", "Trần", "Kim", "Patel", "Okafor", "Kowalski", "Wiśniewski",
    "Çelik", "Søndergaard", "Lefèvre", "D'Angelo", "Smith-Jones", "Washington", "Brown", "Lee",
)  # fmt: skip
# (first, last, full name as written)
CJK_NAMES = (
    ("小明", "王", "王小明"), ("娜", "李", "李娜"), ("太郎", "田中", "田中 太郎"),
    ("美咲", "佐藤", "佐藤 美咲"), ("민준", "김", "김민준"), ("Wei", "陈", "陈伟"),
)  # fmt: skip
RTL_NAMES = (
    ("محمد", "العلي", "محمد العلي"), ("فاطمة", "حسن", "فاطمة حسن"),
    ("נועה", "כהן", "נועה כהן"), ("דוד", "לוי", "דוד לוי"),
)  # fmt: skip
# state, code, county (L2), city (L3), ZIP prefix, area code, sales tax rate, retail delivery fee
PLACES = (
    ("California", "CA", "Los Angeles County", "Los Angeles", "900", "213", "0.095", "0.00"),
    ("California", "CA", "Santa Clara County", "San José", "951", "408", "0.09375", "0.00"),
    ("California", "CA", "San Francisco County", "San Francisco", "941", "415", "0.08625", "0.00"),
    ("New York", "NY", "Kings County", "Brooklyn", "112", "718", "0.08875", "0.00"),
    ("New York", "NY", "New York County", "New York", "100", "212", "0.08875", "0.00"),
    ("Texas", "TX", "Harris County", "Houston", "770", "713", "0.0825", "0.00"),
    ("Texas", "TX", "Travis County", "Austin", "787", "512", "0.0825", "0.00"),
    ("Florida", "FL", "Miami-Dade County", "Miami", "331", "305", "0.07", "0.00"),
    ("Illinois", "IL", "Cook County", "Chicago", "606", "312", "0.1025", "0.00"),
    ("Washington", "WA", "King County", "Seattle", "981", "206", "0.1035", "0.00"),
    ("Colorado", "CO", "Denver County", "Denver", "802", "303", "0.0881", "0.29"),
    ("Minnesota", "MN", "Hennepin County", "Minneapolis", "554", "612", "0.08025", "0.50"),
    ("Louisiana", "LA", "Orleans Parish", "New Orleans", "701", "504", "0.0945", "0.00"),
    ("District of Columbia", "DC", "District of Columbia", "Washington", "200", "202", "0.06",
     "0.00"),
    ("Georgia", "GA", "Fulton County", "Atlanta", "303", "404", "0.089", "0.00"),
    ("Arizona", "AZ", "Maricopa County", "Phoenix", "850", "602", "0.086", "0.00"),
    ("Oregon", "OR", "Multnomah County", "Portland", "972", "503", "0", "0.00"),
    ("Hawaii", "HI", "Honolulu County", "Honolulu", "968", "808", "0.045", "0.00"),
)  # fmt: skip
STREETS = (
    "Main St", "Oak Ave", "Sunset Blvd", "Calle Ocho", "Peachtree St NE", "Broadway",
    "Maple Dr", "Lakeshore Dr", "Mission St", "Elm St", "Congress Ave", "Rue Royale",
)  # fmt: skip
UNITS = ("", "", "", "Apt 4B", "Unit 12", "Suite 300", "Apt 1203", "# 7")
DROP_OFFS = ("Front Door", "Back Door", "Mailroom", "Leave with doorman", "")
MESSAGES = (
    "",
    "",
    "",
    "",
    "Please gift wrap 🎁",
    "Leave at the side gate, merci!",
    "急需\uff0c谢谢",
)
PAYMENT_METHODS = (
    ("Credit card", "pm_pi_ccdc_visa_c_d", "Credit"),
    ("Debit card", "pm_pi_ccdc_mastercard_c_d", "Debit"),
    ("PayPal", "pm_pi_paypal", ""),
    ("Apple Pay", "pm_pi_applepay", "Credit"),
    ("Afterpay", "pm_pi_afterpay", ""),
)
CATALOGUE = (
    ("Velvet Matte Lipstick", "LIP", ("Color", ("Rosewood", "Ruby", "Nude Beige"))),
    ("Hydrating Hyaluronic Serum 30ml", "SER", None),
    ("Oversized Crewneck Sweatshirt", "SWT", ("Size", ("S", "M", "L", "XL"))),
    ("Stainless Steel Water Bottle 32oz", "BTL", ("Color", ("Black", "Sage Green"))),
    ('LED Ring Light 10"', "RNG", None),
    ("Crème Brûlée Scented Candle", "CND", None),
    ("Silk Scrunchies (5-Pack)", "SCR", ("Color", ("Pastel", "Neutrals"))),
    ("Yoga Mat — Non-Slip 6mm", "YGA", ("Color", ("Lavender", "Charcoal"))),
    ("Wireless Earbuds Pro", "EAR", ("Color", ("White", "Black"))),
    ("抹茶 Matcha Powder 100g", "MTC", None),
    ("Kids' Dinosaur Night Light", "DNO", None),
    ("Ceramic Pour-Over Coffee Set", "CPO", None),
)  # fmt: skip
IMAGE_HOST = "https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us"


def seeded(label: str) -> random.Random:
    """A generator for one named stream of simulated data (never used for secrets)."""
    return random.Random(label)  # noqa: S311 - reproducible fake data, not security


def money(value: Decimal) -> str:
    """A decimal string with two places, as TikTok sends money."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def digits(rng: random.Random, n: int) -> str:
    """`n` random decimal digits."""
    return "".join(rng.choices(string.digits, k=n))


def make_shops(seed: int, count: int, region: str) -> list[Shop]:
    """The seller's authorized shops, each with a main and an overflow warehouse."""
    rng = seeded(f"{seed}/shops")
    alphabet = string.ascii_letters + string.digits + "_-"
    shops = []
    for n in range(count):
        shops.append(
            Shop(
                id=f"7494{n:02d}{digits(rng, 13)}",
                name=("Glow & Co. Studio", "Café Lumière Goods", "Northside Thrift")[n % 3]
                + ("" if n < 3 else f" {n + 1}"),
                region=region,
                cipher="ROW_" + "".join(rng.choices(alphabet, k=32)),
                code=f"{region}LC{digits(rng, 8)}",
                seller_type="LOCAL",
                warehouse_ids=[f"7068{n:02d}1{digits(rng, 12)}", f"7068{n:02d}2{digits(rng, 12)}"],
            )
        )
    return shops


def make_catalogue(seed: int, shop: Shop, count: int, now: int) -> list[Product]:
    """`count` products for `shop`; the last one is a virtual bundle of two earlier SKUs."""
    rng = seeded(f"{seed}/catalogue/{shop.id}")
    products: list[Product] = []
    for n in range(count):
        title, code, variants = CATALOGUE[n % len(CATALOGUE)]
        if n >= len(CATALOGUE):
            title = f"{title} #{n // len(CATALOGUE) + 1}"
        product_id = f"1729{n:03d}{digits(rng, 12)}"
        created = now - 86400 * rng.randint(30, 400)
        base_price = Decimal(rng.choice(("6.99", "12.50", "19.99", "24.00", "34.95", "59.99")))
        two_warehouses = n == 2
        skus: list[Sku] = []
        for value in variants[1] if variants else ("",):
            inventory = {shop.warehouse_ids[0]: rng.randint(5, 400)}
            if two_warehouses:
                inventory[shop.warehouse_ids[1]] = rng.randint(5, 100)
            attrs = [(variants[0], value)] if variants else []
            suffix = value.upper().replace(" ", "")[:3] if value else "STD"
            skus.append(
                Sku(
                    id=f"1730{n:03d}{len(skus)}{digits(rng, 11)}",
                    product_id=product_id,
                    seller_sku=f"{code}-{suffix}-{n:02d}",
                    name=value or "Default",
                    price=money(base_price),
                    image=f"{IMAGE_HOST}/{rng.getrandbits(128):032x}~tplv-o3syd03w52-origin-jpeg.jpeg",
                    attributes=attrs,
                    inventory=inventory,
                )
            )
        products.append(
            Product(
                id=product_id,
                shop_id=shop.id,
                title=title,
                status="ACTIVATE",
                create_time=created,
                update_time=created + rng.randint(0, 86400 * 20),
                category=[
                    ("601152", "0", "Beauty & Personal Care"),
                    (f"60{n:04d}", "601152", title),
                ],
                brand=(f"7082{digits(rng, 15)}", "No brand"),
                description=f"<p>{title}. Ships from the USA in 1\u20132 business days.</p>",
                images=[skus[0].image],
                weight_lb=str(rng.choice(("0.4", "0.8", "1.2", "2.5"))),
                skus=skus,
            )
        )
    if count >= 3:
        bundle = products[-1]
        parts = [(products[0].skus[0], 1), (products[1].skus[0], 2)]
        bundle.title = "Glow Kit Bundle (Lipstick + 2 Serums)"
        bundle.skus = bundle.skus[:1]
        bundle.skus[0].combined = parts
    return products


def make_address(rng: random.Random) -> tuple[Address, str, str]:
    """A US recipient; returns it with the sales tax rate and retail delivery fee of its place."""
    roll = rng.random()
    if roll < 0.04:
        first, last, name = rng.choice(RTL_NAMES)
    elif roll < 0.14:
        first, last, name = rng.choice(CJK_NAMES)
    else:
        first, last = rng.choice(LATIN_FIRST), rng.choice(LATIN_LAST)
        name = f"{first} {last}"
    state, code, county, city, zip3, area, rate, rdf = rng.choice(PLACES)
    address = Address(
        first_name=first,
        last_name=last,
        name=name,
        phone=f"(+1){area}555{digits(rng, 4)}",
        line1=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        line2=rng.choice(UNITS),
        city=city,
        county=county,
        state=state,
        state_code=code,
        postal_code=zip3 + digits(rng, 2),
        drop_off=rng.choice(DROP_OFFS),
    )
    return address, rate, rdf


def make_order(
    seed: int,
    seq: int,
    shop: Shop,
    products: list[Product],
    create_time: int,
    ids: IdMaker,
) -> Order:
    """A new UNPAID order; status, payment time and the rest are the lifecycle's business."""
    rng = seeded(f"{seed}/order/{seq}")
    address, rate, rdf = make_address(rng)
    sellable = [p for p in products if p.status == "ACTIVATE"]
    chosen: list[tuple[Product, Sku]] = []
    for _ in range(rng.choices((1, 2, 3), weights=(70, 22, 8))[0]):
        product = rng.choice(sellable)
        sku = rng.choice(product.skus)
        if all(s.id != sku.id for _, s in chosen):
            chosen.append((product, sku))
    tax_rate = Decimal(rate)
    lines: list[Line] = []
    for product, sku in chosen:
        units = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        price = Decimal(sku.price)
        seller_off = (price * Decimal("0.10")).quantize(CENT) if rng.random() < 0.2 else Decimal(0)
        platform_off = Decimal("1.00") if rng.random() < 0.15 and price > 5 else Decimal(0)
        for _ in range(units):
            sale = price - seller_off - platform_off
            lines.append(_line(ids, product, sku, price, seller_off, platform_off, sale, tax_rate))
    if rng.random() < 0.08:
        product = rng.choice(sellable)
        sku = product.skus[0]
        price = Decimal(sku.price)
        gift = _line(ids, product, sku, price, price, Decimal(0), Decimal(0), tax_rate)
        gift.is_gift = True
        gift.gift_retail_price = money(price)
        lines.append(gift)
    payment = _payment(rng, lines, tax_rate, Decimal(rdf))
    tiktok_shipping = rng.random() < 0.1
    if tiktok_shipping:
        option = ("7091146663229654787", "Standard Shipping")
    elif rng.random() < 0.85:
        option = ("7091146663229654785", "Standard Shipping")
    else:
        option = ("7091146663229654786", "Express Shipping")
    method = rng.choice(PAYMENT_METHODS)
    return Order(
        id=ids.order(seq, rng),
        seq=seq,
        shop_id=shop.id,
        create_time=create_time,
        update_time=create_time,
        status="UNPAID",
        user_id=f"7021{digits(rng, 15)}",
        buyer_email="".join(rng.choices(string.ascii_lowercase + string.digits, k=10))
        + "@scs.tiktokw.us",
        buyer_message=rng.choice(MESSAGES),
        address=address,
        lines=lines,
        payment=payment,
        payment_method=(method[0], method[1], method[2], f"AUTH{digits(rng, 6)}"),
        shipping_type="TIKTOK" if tiktok_shipping else "SELLER",
        delivery_option_id=option[0],
        delivery_option_name=option[1],
        warehouse_id=shop.warehouse_ids[0],
        tax_rate=rate,
    )


def _line(
    ids: IdMaker,
    product: Product,
    sku: Sku,
    price: Decimal,
    seller_off: Decimal,
    platform_off: Decimal,
    sale: Decimal,
    rate: Decimal,
) -> Line:
    return Line(
        id=ids.line(),
        sku=sku,
        product_name=product.title,
        original_price=money(price),
        sale_price=money(sale),
        seller_discount=money(seller_off),
        platform_discount=money(platform_off),
        tax_amount=money(sale * rate),
        tax_rate=str(rate),
        is_gift=False,
        gift_retail_price="",
    )


def _payment(rng: random.Random, lines: list[Line], rate: Decimal, rdf: Decimal) -> dict[str, str]:
    """Payment amounts that add up the way §5.3 of the reference says they do."""
    original = sum((Decimal(x.original_price) for x in lines), Decimal(0))
    seller = sum((Decimal(x.seller_discount) for x in lines), Decimal(0))
    platform = sum((Decimal(x.platform_discount) for x in lines), Decimal(0))
    sub_total = original - seller - platform
    original_shipping = Decimal(0) if sub_total >= 25 else Decimal("5.99")
    ship_platform = original_shipping if original_shipping and rng.random() < 0.3 else Decimal(0)
    shipping = original_shipping - ship_platform
    product_tax = sum((Decimal(x.tax_amount) for x in lines), Decimal(0))
    shipping_tax = (shipping * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    tax = product_tax + shipping_tax
    zero = "0.00"
    return {
        "currency": "USD",
        "sub_total": money(sub_total),
        "shipping_fee": money(shipping),
        "seller_discount": money(seller),
        "platform_discount": money(platform),
        "total_amount": money(sub_total + shipping + tax + rdf),
        "original_total_product_price": money(original),
        "original_shipping_fee": money(original_shipping),
        "shipping_fee_seller_discount": zero,
        "shipping_fee_platform_discount": money(ship_platform),
        "shipping_fee_cofunded_discount": zero,
        "tax": money(tax),
        "product_tax": money(product_tax),
        "shipping_fee_tax": money(shipping_tax),
        "retail_delivery_fee": money(rdf),
        "handling_fee": zero,
        "shipping_insurance_fee": zero,
        "item_insurance_fee": zero,
        "item_insurance_tax": zero,
    }


class IdMaker:
    """18/19-digit numeric string ids, unique within one simulator and stable for a seed."""

    def __init__(self, seed: int) -> None:
        self._tag = f"{seed % 1000:03d}"
        self._rng = seeded(f"{seed}/ids")
        self._lines = 0
        self._packages = 0
        self._misc = 0

    def order(self, seq: int, rng: random.Random) -> str:
        """The id of order number `seq`."""
        return f"576{self._tag}{seq:07d}{digits(rng, 5)}"

    def line(self) -> str:
        """A fresh order line item id."""
        self._lines += 1
        return f"577{self._tag}{self._lines:08d}{digits(self._rng, 4)}"

    def package(self) -> str:
        """A fresh package id."""
        self._packages += 1
        return f"115{self._tag}{self._packages:08d}{digits(self._rng, 4)}"

    def usps_tracking(self) -> str:
        """A fresh USPS-style 22-digit tracking number."""
        return f"9200190{digits(self._rng, 15)}"

    def token(self, prefix: str, length: int = 64) -> str:
        """An opaque token such as an access token or auth code."""
        alphabet = string.ascii_letters + string.digits + "_-"
        return prefix + "".join(self._rng.choices(alphabet, k=length))

    def number(self, digits_: int) -> str:
        """A random numeric string (notification ids and the like)."""
        self._misc += 1
        return digits(self._rng, digits_)
