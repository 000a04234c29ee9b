"""Fictional but realistic values for generated scenarios, unique where a clash would mislead.

Identifiers are drawn so that they cannot point at anyone real:

* phone numbers come only from Ofcom's ranges reserved for drama (e.g. 07700 900xxx,
  020 7946 0xxx), written in E.164;
* vehicle registration marks use the current format but always contain a Q among the three
  random letters, which the DVLA never issues;
* postcodes use a real outward code for the town but an inward code containing V, a letter never
  used in inward codes;
* company numbers start with ZZ, a prefix Companies House does not use; sort codes start 00.

Names are common given names and surnames by country, combined at random. Every identifier a
scenario draws is unique unless the scenario deliberately reuses it (a planted link), so the only
cross-force links in the data are the planted ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from producers.exceptions import ScenarioError

# -- places ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    """A town, the postcode area used for it and the range of district numbers drawn."""

    name: str
    area: str
    districts: tuple[int, int]


def _t(name: str, area: str, low: int, high: int) -> Town:
    return Town(name, area, (low, high))


TOWNS: dict[str, tuple[Town, ...]] = {
    "AVON_AND_SOMERSET": (
        _t("Bristol", "BS", 1, 16),
        _t("Bath", "BA", 1, 2),
        _t("Weston-super-Mare", "BS", 22, 24),
    ),
    "BEDFORDSHIRE": (_t("Luton", "LU", 1, 4), _t("Bedford", "MK", 40, 42)),
    "CAMBRIDGESHIRE": (_t("Peterborough", "PE", 1, 4), _t("Cambridge", "CB", 1, 5)),
    "CHESHIRE": (_t("Warrington", "WA", 1, 5), _t("Crewe", "CW", 1, 2), _t("Chester", "CH", 1, 4)),
    "CITY_OF_LONDON": (_t("London", "EC", 1, 4),),
    "CLEVELAND": (_t("Middlesbrough", "TS", 1, 8), _t("Hartlepool", "TS", 24, 26)),
    "CUMBRIA": (_t("Carlisle", "CA", 1, 3), _t("Barrow-in-Furness", "LA", 13, 14)),
    "DERBYSHIRE": (_t("Derby", "DE", 1, 24), _t("Chesterfield", "S", 40, 41)),
    "DEVON_AND_CORNWALL": (_t("Plymouth", "PL", 1, 7), _t("Exeter", "EX", 1, 4), _t("Truro", "TR", 1, 1)),
    "DORSET": (_t("Bournemouth", "BH", 1, 11), _t("Poole", "BH", 12, 17)),
    "DURHAM": (_t("Darlington", "DL", 1, 3), _t("Durham", "DH", 1, 1)),
    "DYFED_POWYS": (
        _t("Carmarthen", "SA", 31, 33),
        _t("Aberystwyth", "SY", 23, 23),
        _t("Llanelli", "SA", 14, 15),
    ),
    "ESSEX": (_t("Southend-on-Sea", "SS", 1, 3), _t("Chelmsford", "CM", 1, 3), _t("Colchester", "CO", 1, 4)),
    "GLOUCESTERSHIRE": (
        _t("Gloucester", "GL", 1, 4),
        _t("Cheltenham", "GL", 50, 53),
        _t("Stroud", "GL", 5, 5),
    ),
    "GREATER_MANCHESTER": (_t("Manchester", "M", 1, 40), _t("Bolton", "BL", 1, 3), _t("Oldham", "OL", 1, 9)),
    "GWENT": (_t("Newport", "NP", 10, 20), _t("Cwmbran", "NP", 44, 44)),
    "HAMPSHIRE": (
        _t("Southampton", "SO", 14, 19),
        _t("Portsmouth", "PO", 1, 6),
        _t("Basingstoke", "RG", 21, 24),
    ),
    "HERTFORDSHIRE": (_t("Watford", "WD", 17, 25), _t("St Albans", "AL", 1, 4), _t("Stevenage", "SG", 1, 2)),
    "HUMBERSIDE": (_t("Hull", "HU", 1, 9), _t("Grimsby", "DN", 31, 34), _t("Scunthorpe", "DN", 15, 17)),
    "KENT": (_t("Maidstone", "ME", 14, 17), _t("Dover", "CT", 16, 17), _t("Folkestone", "CT", 19, 20)),
    "LANCASHIRE": (_t("Preston", "PR", 1, 2), _t("Blackpool", "FY", 1, 4), _t("Blackburn", "BB", 1, 2)),
    "LEICESTERSHIRE": (_t("Leicester", "LE", 1, 5), _t("Loughborough", "LE", 11, 11)),
    "LINCOLNSHIRE": (_t("Lincoln", "LN", 1, 6), _t("Boston", "PE", 21, 21), _t("Spalding", "PE", 11, 12)),
    "MERSEYSIDE": (_t("Liverpool", "L", 1, 25), _t("Birkenhead", "CH", 41, 43)),
    "METROPOLITAN": (
        _t("London", "E", 1, 17),
        _t("London", "N", 1, 22),
        _t("London", "SE", 1, 28),
        _t("London", "SW", 2, 20),
        _t("London", "W", 2, 14),
        _t("London", "NW", 1, 11),
        _t("Ilford", "IG", 1, 3),
        _t("Croydon", "CR", 0, 0),
    ),
    "NORFOLK": (
        _t("Norwich", "NR", 1, 7),
        _t("Great Yarmouth", "NR", 30, 31),
        _t("King's Lynn", "PE", 30, 30),
    ),
    "NORTH_WALES": (_t("Wrexham", "LL", 11, 14), _t("Bangor", "LL", 57, 57), _t("Rhyl", "LL", 18, 18)),
    "NORTH_YORKSHIRE": (
        _t("York", "YO", 1, 32),
        _t("Scarborough", "YO", 11, 12),
        _t("Harrogate", "HG", 1, 3),
    ),
    "NORTHAMPTONSHIRE": (
        _t("Northampton", "NN", 1, 5),
        _t("Kettering", "NN", 15, 16),
        _t("Corby", "NN", 17, 18),
    ),
    "NORTHUMBRIA": (_t("Newcastle upon Tyne", "NE", 1, 15), _t("Sunderland", "SR", 1, 6)),
    "NOTTINGHAMSHIRE": (_t("Nottingham", "NG", 1, 11), _t("Mansfield", "NG", 18, 19)),
    "SOUTH_WALES": (_t("Cardiff", "CF", 10, 24), _t("Swansea", "SA", 1, 6)),
    "SOUTH_YORKSHIRE": (
        _t("Sheffield", "S", 1, 14),
        _t("Doncaster", "DN", 1, 5),
        _t("Rotherham", "S", 60, 65),
    ),
    "STAFFORDSHIRE": (_t("Stoke-on-Trent", "ST", 1, 6), _t("Stafford", "ST", 16, 17)),
    "SUFFOLK": (_t("Ipswich", "IP", 1, 4), _t("Bury St Edmunds", "IP", 32, 33)),
    "SURREY": (_t("Guildford", "GU", 1, 4), _t("Woking", "GU", 21, 22), _t("Redhill", "RH", 1, 1)),
    "SUSSEX": (_t("Brighton", "BN", 1, 2), _t("Crawley", "RH", 10, 11), _t("Hastings", "TN", 34, 35)),
    "THAMES_VALLEY": (
        _t("Reading", "RG", 1, 6),
        _t("Oxford", "OX", 1, 4),
        _t("Slough", "SL", 1, 3),
        _t("Milton Keynes", "MK", 1, 15),
    ),
    "WARWICKSHIRE": (
        _t("Nuneaton", "CV", 10, 11),
        _t("Rugby", "CV", 21, 22),
        _t("Leamington Spa", "CV", 31, 32),
    ),
    "WEST_MERCIA": (_t("Worcester", "WR", 1, 5), _t("Hereford", "HR", 1, 4), _t("Telford", "TF", 1, 7)),
    "WEST_MIDLANDS": (
        _t("Birmingham", "B", 1, 44),
        _t("Coventry", "CV", 1, 6),
        _t("Wolverhampton", "WV", 1, 14),
    ),
    "WEST_YORKSHIRE": (_t("Leeds", "LS", 1, 17), _t("Bradford", "BD", 1, 9), _t("Huddersfield", "HD", 1, 5)),
    "WILTSHIRE": (_t("Swindon", "SN", 1, 5), _t("Salisbury", "SP", 1, 2)),
    "POLICE_SCOTLAND": (
        _t("Glasgow", "G", 1, 53),
        _t("Edinburgh", "EH", 1, 17),
        _t("Aberdeen", "AB", 10, 25),
    ),
    "POLICE_SERVICE_NORTHERN_IRELAND": (_t("Belfast", "BT", 1, 17), _t("Londonderry", "BT", 47, 48)),
    "BRITISH_TRANSPORT_POLICE": (
        _t("London", "NW", 1, 1),
        _t("Birmingham", "B", 2, 2),
        _t("Manchester", "M", 1, 1),
    ),
}
"""Force area -> towns an address in it may be in (real towns, fictional streets and postcodes)."""

_STREET_WORDS = (
    "Alder",
    "Ashdown",
    "Beacon",
    "Birch",
    "Bramble",
    "Canal",
    "Cedar",
    "Chapel",
    "Clover",
    "Coronation",
    "Dover",
    "Elm",
    "Ferry",
    "Forge",
    "Foundry",
    "Garnet",
    "Hawthorn",
    "Heron",
    "Holly",
    "Juniper",
    "Kiln",
    "Larch",
    "Linden",
    "Maple",
    "Meadow",
    "Mill",
    "Northgate",
    "Oak",
    "Orchard",
    "Osier",
    "Pelham",
    "Quarry",
    "Railway",
    "Rowan",
    "Saxon",
    "Sorrel",
    "Station",
    "Tanner",
    "Thistle",
    "Victoria",
    "Warren",
    "Weaver",
    "Willow",
    "Wharf",
    "Yew",
)
_STREET_KINDS = ("Street", "Road", "Lane", "Row", "Terrace", "Close", "Avenue", "Walk", "Court", "Gardens")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# -- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Naming, language and coding conventions of one nationality."""

    nationality: str
    region: str
    """NationalityRegion symbol."""
    language: str
    ethnicity: str
    """A plausible SelfDefinedEthnicity code."""
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]


ORIGINS: dict[str, Origin] = {
    o.nationality: o
    for o in (
        Origin(
            "CHN",
            "EAST_ASIA_PACIFIC",
            "zh",
            "A4",
            ("Mei", "Li Na", "Xiu Ying", "Jing", "Hui", "Yan", "Ling"),
            ("Wei", "Jun", "Hao", "Ming", "Lei", "Qiang"),
            ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin"),
        ),
        Origin(
            "THA",
            "EAST_ASIA_PACIFIC",
            "th",
            "A9",
            ("Malee", "Siriporn", "Nattaya", "Ploy", "Araya", "Kanya"),
            ("Somchai", "Anan", "Kittisak"),
            ("Saetang", "Srisuk", "Wongsa", "Chaiyaporn", "Boonmee", "Kaewdee"),
        ),
        Origin(
            "VNM",
            "EAST_ASIA_PACIFIC",
            "vi",
            "A9",
            ("Thi Lan", "Thi Hoa", "Thu", "Ngoc Anh", "Mai"),
            ("Van Duc", "Minh", "Quang", "Tuan"),
            ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang"),
        ),
        Origin(
            "MYS",
            "EAST_ASIA_PACIFIC",
            "ms",
            "A9",
            ("Siti", "Nurul", "Aisyah", "Mei Ling", "Farah"),
            ("Azman", "Hafiz", "Kah Wai"),
            ("Tan", "Lim", "Wong", "Abdullah", "Ismail", "Ong"),
        ),
        Origin(
            "LTU",
            "EUROPE_EEA",
            "lt",
            "W9",
            ("Ruta", "Egle", "Jurgita", "Ieva", "Laura", "Inga"),
            ("Tomas", "Mantas", "Darius", "Andrius"),
            ("Kazlauskaite", "Petrauskaite", "Jankauskas", "Stankevicius", "Vasiliauskas", "Zukauskas"),
        ),
        Origin(
            "ROU",
            "EUROPE_EEA",
            "ro",
            "W9",
            ("Elena", "Ioana", "Maria", "Andreea", "Alina", "Roxana"),
            ("Florin", "Ionut", "Marian", "Bogdan"),
            ("Popescu", "Ionescu", "Dumitru", "Stan", "Gheorghe", "Matei"),
        ),
        Origin(
            "SVK",
            "EUROPE_EEA",
            "sk",
            "W9",
            ("Zuzana", "Lucia", "Katarina", "Martina"),
            ("Peter", "Jozef", "Milan"),
            ("Horvathova", "Kovacova", "Balaz", "Varga", "Tothova"),
        ),
        Origin(
            "CZE",
            "EUROPE_EEA",
            "cs",
            "W9",
            ("Petra", "Tereza", "Jana", "Veronika"),
            ("Jan", "Pavel", "Lukas"),
            ("Novakova", "Svobodova", "Dvorak", "Cerny"),
        ),
        Origin(
            "POL",
            "EUROPE_EEA",
            "pl",
            "W9",
            ("Agnieszka", "Katarzyna", "Marta", "Joanna"),
            ("Piotr", "Tomasz", "Marek"),
            ("Nowak", "Kowalska", "Wisniewska", "Wojcik", "Kaminski"),
        ),
        Origin(
            "ALB",
            "EUROPE_OTHER",
            "sq",
            "W9",
            ("Arta", "Blerta", "Drita", "Elira", "Teuta"),
            ("Arben", "Besnik", "Gentian"),
            ("Hoxha", "Krasniqi", "Shehu", "Gashi", "Berisha", "Leka"),
        ),
        Origin(
            "NGA",
            "AFRICA",
            "en",
            "B2",
            ("Blessing", "Joy", "Precious", "Favour", "Esther"),
            ("Chinedu", "Emeka", "Tunde"),
            ("Okafor", "Adeyemi", "Eze", "Okonkwo", "Balogun", "Obi"),
        ),
        Origin(
            "BRA",
            "AMERICAS",
            "pt",
            "O9",
            ("Ana", "Juliana", "Fernanda", "Camila"),
            ("Rafael", "Thiago"),
            ("Silva", "Santos", "Oliveira", "Souza", "Pereira"),
        ),
        Origin(
            "GBR",
            "UK",
            "en",
            "W1",
            ("Kelly", "Dawn", "Tracy", "Michelle", "Donna"),
            ("Gary", "Darren", "Lee", "Paul", "Wayne", "Kevin", "Jason", "Craig", "Stuart", "Dean"),
            ("Hale", "Marsh", "Dunn", "Fletcher", "Pike", "Rowe", "Slater", "Carver", "Booth", "Kemp"),
        ),
    )
}
"""Nationality (ISO 3166-1 alpha-3) -> conventions used to make a person of that nationality."""

# -- phones ------------------------------------------------------------------------------------

MOBILE_DRAMA = "+447700900"
"""07700 900000-900999, Ofcom's mobile range for drama."""
LANDLINE_DRAMA: dict[str, tuple[str, ...]] = {
    "LONDON": ("+442079460",),
    "WEST_MIDLANDS": ("+441214960",),
    "NORTH_WEST": ("+441614960", "+441514960"),
    "YORKSHIRE_AND_THE_HUMBER": ("+441134960", "+441144960"),
    "EAST_MIDLANDS": ("+441154960", "+441164960"),
    "SOUTH_WEST": ("+441174960",),
    "SOUTH_EAST": ("+441184960",),
    "NORTH_EAST": ("+441914980",),
    "SCOTLAND": ("+441314960", "+441414960"),
    "NORTHERN_IRELAND": ("+442896496",),
    "WALES": ("+442920180",),
}
"""Region -> Ofcom drama ranges of its cities (each prefix + three digits); others use 01632 960."""
NO_AREA_DRAMA = "+441632960"


class Fiction:
    """Draws fictional names, numbers and places from one seeded random source.

    Every draw of an identifier is unique within the instance: a second scenario built from the
    same seed draws the same values in the same order.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._mobiles = [f"{MOBILE_DRAMA}{n:03d}" for n in range(1000)]
        rng.shuffle(self._mobiles)
        self._landlines: dict[str, list[str]] = {}
        for region, prefixes in sorted(LANDLINE_DRAMA.items()):
            numbers = [f"{p}{n:03d}" for p in prefixes for n in range(1000)]
            rng.shuffle(numbers)
            self._landlines[region] = numbers
        spare = [f"{NO_AREA_DRAMA}{n:03d}" for n in range(1000)]
        rng.shuffle(spare)
        self._landlines["OTHER"] = spare
        self._vrms: set[str] = set()
        self._addresses: set[tuple[str, str]] = set()
        self._serials: dict[str, int] = {}

    # -- identifiers -------------------------------------------------------------------------

    def serial(self, series: str) -> int:
        """The next number of a named series (1, 2, ...): references, case numbers."""
        self._serials[series] = self._serials.get(series, 0) + 1
        return self._serials[series]

    def mobile(self) -> str:
        """An unused drama-range mobile number, falling back to a drama landline."""
        if self._mobiles:
            return self._mobiles.pop()
        return self.landline("OTHER")

    def landline(self, region: str) -> str:
        """An unused drama-range number for the region's cities (or any left)."""
        for key in (region, "OTHER", *sorted(self._landlines)):
            numbers = self._landlines.get(key)
            if numbers:
                return numbers.pop()
        raise ScenarioError("ran out of fictional phone numbers: use a smaller --scale")

    def phone(self, region: str) -> str:
        """A fictional number: a mobile about half the time, otherwise a local landline."""
        return self.mobile() if self.rng.random() < 0.5 else self.landline(region)

    def vrm(self) -> str:
        """An unused, never-issued registration mark (2001 format, a Q in the random letters)."""
        letters = "ABCDEFGHJKLMNOPRSTUVWXY"
        while True:
            area = self.rng.choice("ABCDEFGHKLMNOPRSVWY") + self.rng.choice(letters)
            age = self.rng.choice(("02", "03", "04", "05", "06", "07", "52", "53", "54", "55", "56", "57"))
            tail = [self.rng.choice(letters) for _ in range(3)]
            tail[self.rng.randrange(3)] = "Q"
            mark = f"{area}{age}{''.join(tail)}"
            if mark not in self._vrms:
                self._vrms.add(mark)
                return mark

    def imei(self) -> str:
        """A 15-digit IMEI under the test reporting body 00 (never a real handset)."""
        return "00" + "".join(self.rng.choice("0123456789") for _ in range(13))

    def company_number(self) -> str:
        return "ZZ" + "".join(self.rng.choice("0123456789") for _ in range(6))

    def sort_code(self) -> str:
        return "00-" + f"{self.rng.randrange(100):02d}-{self.rng.randrange(100):02d}"

    def account_number(self) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(8))

    # -- places ------------------------------------------------------------------------------

    def address(self, force_area: str, *, flat: bool = False) -> dict[str, object]:
        """An unused address in the force area: real town, fictional street and postcode."""
        while True:
            town = self.rng.choice(TOWNS[force_area])
            street = f"{self.rng.choice(_STREET_WORDS)} {self.rng.choice(_STREET_KINDS)}"
            number = self.rng.randint(1, 180)
            district = self.rng.randint(*town.districts)
            inward = f"{self.rng.randint(1, 9)}V{self.rng.choice(_INWARD_LETTERS)}"
            postcode = f"{town.area}{district} {inward}"
            first = f"Flat {self.rng.randint(1, 12)}, {number} {street}" if flat else f"{number} {street}"
            if (first, postcode) in self._addresses:
                continue
            self._addresses.add((first, postcode))
            return {"lines": [first], "town": town.name, "postcode": postcode, "country": "GBR"}

    def business_address(self, force_area: str, unit: str) -> dict[str, object]:
        """An address of business premises ("Unit 4", "Rear of 12 ...")."""
        address = self.address(force_area)
        lines = address["lines"]
        assert isinstance(lines, list)
        address["lines"] = [unit, *lines]
        return address

    # -- people ------------------------------------------------------------------------------

    def name(self, nationality: str, gender: str) -> str:
        origin = ORIGINS[nationality]
        given = self.rng.choice(origin.female if gender == "FEMALE" else origin.male)
        return f"{given} {self.rng.choice(origin.surnames)}"

    def given_name(self, nationality: str, gender: str) -> str:
        origin = ORIGINS[nationality]
        return self.rng.choice(origin.female if gender == "FEMALE" else origin.male)
