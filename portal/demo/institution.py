"""The demo institution: its branches (and the rural ones' village service points), loan products, the
Qingshan flood, and the staff with the demo's published password and authenticator secret.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from portal import policies
from portal.applications.models import Disaster
from portal.auth.totp import ROLES_WITH_TOTP
from portal.clock import utcnow
from portal.loans.models import LoanProduct
from portal.people.models import Branch, StaffUser

DEMO_PASSWORD = "Demo-pass-2026"  # published in the README for the demo  # noqa: S105  # nosec B105
DEMO_TOTP_SECRET = "PORTALDEMOSTAFFTOTPSECRET2345672"  # published in the README  # noqa: S105  # nosec B105

# Each rural branch's village service point (名称, 地址 in the three languages), shown in the rural footer.
SERVICE_POINTS = {
    "QS01": (
        ("青山镇石桥村便民服务点", "青山鎮石橋村便民服務點", "Shiqiao Village Service Point, Qingshan"),
        (
            "石桥村村委会一楼（周一至周六 8:30–17:00）",
            "石橋村村委會一樓（週一至週六 8:30–17:00）",
            "Ground floor, Shiqiao Village Committee (Monday to Saturday, 8:30 to 17:00)",
        ),
    ),
    "HX02": (
        ("河西乡杨家湾村便民服务点", "河西鄉楊家灣村便民服務點", "Yangjiawan Village Service Point, Hexi"),
        (
            "杨家湾村小卖部旁（每天 8:00–18:00）",
            "楊家灣村小賣部旁（每天 8:00–18:00）",
            "Next to the Yangjiawan village shop (every day, 8:00 to 18:00)",
        ),
    ),
    "LT03": (
        ("柳塘镇荷花村便民服务点", "柳塘鎮荷花村便民服務點", "Hehua Village Service Point, Liutang"),
        (
            "荷花村卫生室隔壁（周一至周五 9:00–17:00）",
            "荷花村衛生室隔壁（週一至週五 9:00–17:00）",
            "Beside the Hehua village clinic (Monday to Friday, 9:00 to 17:00)",
        ),
    ),
}

BRANCHES = [
    # code, kind, names (Simplified, Traditional, English), addresses, phone
    (
        "QS01",
        "rural",
        ("青山镇支行", "青山鎮支行", "Qingshan Township Branch"),
        ("青山镇人民路18号", "青山鎮人民路18號", "18 Renmin Road, Qingshan Township"),
        "0731-8560 1201",
    ),
    (
        "HX02",
        "rural",
        ("河西农村信用社", "河西農村信用社", "Hexi Rural Credit Cooperative"),
        ("河西乡政府街6号", "河西鄉政府街6號", "6 Government Street, Hexi Township"),
        "0731-8560 2202",
    ),
    (
        "LT03",
        "rural",
        ("柳塘镇支行", "柳塘鎮支行", "Liutang Township Branch"),
        ("柳塘镇新街33号", "柳塘鎮新街33號", "33 New Street, Liutang Township"),
        "0731-8560 3303",
    ),
    (
        "CC11",
        "urban",
        ("城中支行", "城中支行", "City Centre Branch"),
        ("解放路200号", "解放路200號", "200 Jiefang Road"),
        "0731-8888 1111",
    ),
    (
        "KF12",
        "urban",
        ("开发区支行", "開發區支行", "Development Zone Branch"),
        ("科技大道8号", "科技大道8號", "8 Keji Avenue"),
        "0731-8888 1212",
    ),
    (
        "DZ13",
        "urban",
        ("东站支行", "東站支行", "East Station Branch"),
        ("车站北路66号", "車站北路66號", "66 Chezhan North Road"),
        "0731-8888 1313",
    ),
]

PRODUCTS = [
    # code, method, names, penalty markup, compound interest
    (
        "CONSUMER",
        "equal_installment",
        ("个人消费贷款", "個人消費貸款", "Personal consumer loan"),
        "0.5",
        True,
    ),
    ("AGRI", "equal_principal", ("农户生产贷款", "農戶生產貸款", "Farm production loan"), "0.3", True),
    (
        "BUSINESS",
        "interest_first",
        ("个体工商户经营贷款", "個體工商戶經營貸款", "Small business loan"),
        "0.5",
        True,
    ),
    ("SEASONAL", "bullet", ("农户季节性贷款", "農戶季節性貸款", "Seasonal farm loan"), "0.3", False),
]

STAFF = [
    ("reviewer1", "周敏", "reviewer", 50_000_00),
    ("reviewer2", "吴刚", "reviewer", 50_000_00),
    ("senior1", "郑丽华", "senior_reviewer", 500_000_00),
    ("agent1", "孙晓燕", "agent", 0),
    ("admin1", "钱志远", "admin", 0),
]


def _in_each_language(texts: tuple[str, str, str]) -> dict[str, str]:
    """(Simplified, Traditional, English) as the portal stores a translated name."""
    return dict(zip(("zh_Hans", "zh_Hant", "en"), texts, strict=True))


def add_reference_data(
    session: Session, today: date, password_hash: str
) -> tuple[dict[str, Branch], dict[str, LoanProduct]]:
    """Load the policy packs, add the branches, products, the flood and the staff; returns the branches and the
    products by code."""
    branches: dict[str, Branch] = {}
    products: dict[str, LoanProduct] = {}
    policies.load(session)
    for code, kind, names, addresses, phone in BRANCHES:
        branch = Branch(
            code=code,
            kind=kind,
            name=_in_each_language(names),
            address=_in_each_language(addresses),
            phone=phone,
        )
        if code in SERVICE_POINTS:
            point_name, point_address = SERVICE_POINTS[code]
            branch.service_point_name = _in_each_language(point_name)
            branch.service_point_address = _in_each_language(point_address)
        session.add(branch)
        branches[code] = branch
    for code, method, names, markup, compound in PRODUCTS:
        product = LoanProduct(
            code=code,
            method=method,
            name=_in_each_language(names),
            penalty_markup_ppm=int(Decimal(markup) * 1_000_000),
            compound_interest=compound,
        )
        session.add(product)
        products[code] = product
    session.flush()
    # A flood declared two months ago around Qingshan opens the disaster grace period there.
    session.add(
        Disaster(
            branch_id=branches["QS01"].id,
            declared_on=today - timedelta(days=60),
            name={"zh_Hans": "青山镇洪涝灾害", "zh_Hant": "青山鎮洪澇災害", "en": "Qingshan flood"},
        )
    )
    for username, name, role, limit in STAFF:
        session.add(
            StaffUser(
                username=username,
                name=name,
                role=role,
                password_hash=password_hash,
                totp_secret=DEMO_TOTP_SECRET if role in ROLES_WITH_TOTP else None,
                totp_enrolled_at=utcnow() if role in ROLES_WITH_TOTP else None,
                approval_limit_fen=limit,
                locale="zh_Hans",
                session_version=1,
                active=True,
                created_at=utcnow(),
            )
        )
    return branches, products
