"""Look-up tables for the literature-style corruption set (``simulation.corruption``).

Written for that set alone and independent of ``simulation.names``: UK-flavoured, multi-ethnic
given names and surnames with relative frequencies (rounded, in the spirit of ONS baby-name and
surname counts), streets and postcode districts from several English towns, and the look-up
tables FEBRL and GeCo use for corruption: diminutives, phonetic (sound-alike) spellings, OCR
confusions and a QWERTY keyboard layout.
"""

from __future__ import annotations

from schemas.common import Sex

__all__ = [
    "DIMINUTIVES",
    "DISTRICTS",
    "GIVEN_NAMES",
    "KEYBOARD_ROWS",
    "OCR_CONFUSIONS",
    "SOUND_ALIKES",
    "STREETS",
    "SURNAMES",
    "TOWNS",
    "TWIN_NAME_PAIRS",
]

# fmt: off
# name -> relative frequency
GIVEN_NAMES: dict[Sex, dict[str, int]] = {
    Sex.FEMALE: {
        "Olivia": 40, "Amelia": 38, "Isla": 30, "Ava": 28, "Emily": 26, "Isabella": 22,
        "Mia": 22, "Poppy": 20, "Ella": 20, "Lily": 20, "Sophie": 18, "Grace": 17,
        "Charlotte": 17, "Evie": 16, "Jessica": 15, "Florence": 12, "Eleanor": 12,
        "Matilda": 10, "Margaret": 3, "Elizabeth": 9, "Katherine": 6, "Catherine": 6,
        "Rebecca": 7, "Victoria": 6, "Abigail": 7, "Aimee": 6, "Hannah": 9, "Sarah": 6,
        "Layla": 9, "Zara": 8, "Aaliyah": 7, "Maryam": 8, "Fatima": 9, "Aisha": 9,
        "Hafsa": 4, "Amira": 5, "Nusrat": 3, "Priya": 5, "Anjali": 4, "Simran": 4,
        "Harpreet": 3, "Niamh": 6, "Siobhan": 3, "Megan": 8, "Chloe": 10, "Leah": 8,
        "Freya": 12, "Esme": 8, "Ruby": 14, "Daisy": 10, "Imani": 3, "Precious": 2,
        "Chidinma": 2, "Adaeze": 2, "Oluwaseun": 2, "Ewa": 3, "Zuzanna": 3, "Natalia": 4,
        "Alexandra": 4, "Gabriela": 3, "Mei": 2, "Ayesha": 5, "Khadija": 4, "Safiya": 3,
        "Tahmina": 2, "Roxanne": 2, "Jasmine": 8, "Kayleigh": 4, "Shannon": 4, "Bethany": 5,
    },
    Sex.MALE: {
        "Oliver": 40, "George": 36, "Noah": 32, "Arthur": 26, "Harry": 24, "Leo": 24,
        "Muhammad": 22, "Jack": 22, "Charlie": 20, "Oscar": 20, "Jacob": 18, "Henry": 16,
        "Thomas": 16, "William": 16, "James": 15, "Alfred": 6, "Alfie": 12, "Daniel": 12,
        "Samuel": 12, "Joseph": 12, "Benjamin": 10, "Alexander": 10, "Edward": 8,
        "Frederick": 6, "Theodore": 10, "Christopher": 5, "Matthew": 8, "Michael": 7,
        "Robert": 5, "Anthony": 4, "Nathaniel": 4, "Zachary": 6, "Stephen": 3, "Steven": 3,
        "Mohammed": 12, "Mohammad": 4, "Ibrahim": 8, "Yusuf": 8, "Ayaan": 6, "Hamza": 7,
        "Omar": 6, "Ali": 7, "Bilal": 4, "Arjun": 5, "Rohan": 4, "Harjit": 2, "Gurpreet": 2,
        "Aidan": 5, "Connor": 7, "Sean": 5, "Rhys": 5, "Callum": 6, "Kieran": 5,
        "Jayden": 7, "Tyler": 6, "Reggie": 5, "Kai": 6, "Tobias": 4, "Chinedu": 2,
        "Oluwadamilare": 2, "Kwame": 2, "Kacper": 3, "Jakub": 4, "Filip": 3, "Mateusz": 2,
        "Wei": 2, "Dylan": 8, "Mason": 9, "Logan": 8, "Ethan": 10, "Lucas": 12,
    },
}

# surname -> relative frequency (a tenth of households combine two into a double-barrel)
SURNAMES: dict[str, int] = {
    "Smith": 60, "Jones": 45, "Williams": 35, "Taylor": 32, "Brown": 32, "Davies": 26,
    "Evans": 20, "Wilson": 20, "Thomas": 20, "Johnson": 18, "Roberts": 18, "Robinson": 15,
    "Thompson": 15, "Wright": 15, "Walker": 15, "White": 14, "Edwards": 12, "Hughes": 12,
    "Green": 12, "Hall": 12, "Lewis": 11, "Harris": 11, "Clarke": 11, "Patel": 22,
    "Jackson": 10, "Wood": 10, "Turner": 10, "Martin": 10, "Cooper": 10, "Hill": 10,
    "Ward": 9, "Morris": 9, "Moore": 9, "Clark": 9, "Lee": 9, "King": 9, "Baker": 9,
    "Harrison": 8, "Morgan": 8, "Allen": 8, "James": 8, "Scott": 8, "Phillips": 7,
    "Watson": 7, "Davis": 7, "Parker": 7, "Price": 7, "Bennett": 7, "Young": 7,
    "Griffiths": 6, "Mitchell": 6, "Kelly": 6, "Cook": 6, "Carter": 6, "Richardson": 6,
    "Bailey": 6, "Collins": 6, "Bell": 6, "Shaw": 6, "Murphy": 6, "Miller": 6,
    "Cox": 5, "Richards": 5, "Khan": 14, "Ali": 10, "Ahmed": 10, "Hussain": 10,
    "Begum": 9, "Akhtar": 5, "Iqbal": 5, "Rahman": 6, "Islam": 4, "Uddin": 5,
    "Mahmood": 4, "Shah": 5, "Singh": 9, "Kaur": 7, "Sharma": 4, "Gill": 4, "Sandhu": 3,
    "Kumar": 4, "Chauhan": 2, "Okafor": 3, "Adeyemi": 3, "Okonkwo": 2, "Mensah": 3,
    "Owusu": 3, "Boateng": 2, "Campbell": 5, "Francis": 4, "Grant": 4, "Nowak": 3,
    "Kowalski": 2, "Wisniewski": 2, "Nguyen": 3, "Chen": 3, "Wong": 3, "Li": 2,
    "O'Brien": 4, "O'Connor": 4, "O'Neill": 3, "McDonald": 4, "MacLeod": 2, "Reid": 4,
    "Read": 2, "Murray": 4, "Fraser": 3, "Doherty": 3, "Gallagher": 3, "Byrne": 3,
    "Fitzgerald": 2, "Smyth": 2, "Thomson": 3, "Stewart": 4, "Yilmaz": 2, "Demir": 2,
    "Ferreira": 2, "Santos": 2, "Rossi": 2, "Popescu": 2,
}

# formal name -> diminutives in common English usage
DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "Olivia": ("Liv", "Livvy"), "Amelia": ("Millie", "Mia"), "James": ("Jim", "Jimmy", "Jamie"),
    "Daniel": ("Dan", "Danny"), "Alfred": ("Alfie", "Alf"), "Margaret": ("Maisie", "Maggie"),
    "Henry": ("Harry", "Hal"), "Eleanor": ("Ellie", "Nell"), "William": ("Will", "Billy"),
    "Thomas": ("Tom", "Tommy"), "Samuel": ("Sam", "Sammy"), "Joseph": ("Joe", "Joey"),
    "Benjamin": ("Ben", "Benji"), "Alexander": ("Alex", "Sandy"), "Alexandra": ("Alex", "Lexi"),
    "Charlotte": ("Lottie", "Charlie"), "Elizabeth": ("Beth", "Lizzie", "Libby"),
    "Isabella": ("Bella", "Izzy"), "Matthew": ("Matt",), "Christopher": ("Chris", "Kit"),
    "Jessica": ("Jess", "Jessie"), "Rebecca": ("Becky", "Becca"), "Katherine": ("Kate", "Katie"),
    "Catherine": ("Cath", "Cathy"), "Victoria": ("Vicky", "Tori"), "Zachary": ("Zac", "Zach"),
    "Frederick": ("Freddie", "Fred"), "Theodore": ("Theo", "Teddy"), "Edward": ("Eddie", "Ted"),
    "Florence": ("Flo", "Florrie"), "Matilda": ("Tilly", "Tilda"), "Abigail": ("Abbie", "Abi"),
    "Nathaniel": ("Nate", "Nat"), "Robert": ("Rob", "Bobby"), "Michael": ("Mike", "Mikey"),
    "Anthony": ("Tony", "Ant"), "Jacob": ("Jake",), "Gabriela": ("Gabby",),
    "Natalia": ("Natalie", "Tasha"), "Bethany": ("Beth",), "Tobias": ("Toby",),
    "Oliver": ("Ollie", "Olly"), "George": ("Georgie",), "Arthur": ("Art", "Artie"),
    "Reggie": ("Reg",), "Stephen": ("Steve",), "Steven": ("Steve",), "Callum": ("Cal",),
    "Mohammed": ("Mo",), "Muhammad": ("Mo",), "Jasmine": ("Jas", "Jazz"),
}

# groups of spellings that sound alike (given names and surnames)
SOUND_ALIKES: tuple[tuple[str, ...], ...] = (
    ("Catherine", "Kathryn", "Katherine", "Kathrine"), ("Mohammed", "Muhammad", "Mohammad"),
    ("Steven", "Stephen"), ("Aimee", "Amy"), ("Isla", "Islay"), ("Leah", "Lea"),
    ("Sophie", "Sofie"), ("Zara", "Zahra"), ("Aaliyah", "Aliyah"), ("Jayden", "Jaden"),
    ("Aidan", "Aiden"), ("Layla", "Leila"), ("Rhys", "Reece"), ("Niamh", "Neve"),
    ("Sean", "Shaun"), ("Connor", "Conor"), ("Freya", "Freyja"), ("Yusuf", "Yousef"),
    ("Hannah", "Hanna"), ("Megan", "Meghan"), ("Sarah", "Sara"), ("Ibrahim", "Ebrahim"),
    ("Callum", "Calum"), ("Kieran", "Ciaran"), ("Evie", "Evey"), ("Esme", "Esmee"),
    ("Ayesha", "Aisha"), ("Maryam", "Mariam"), ("Fatima", "Fatimah"), ("Hamza", "Hamzah"),
    ("Jakub", "Jacob"), ("Filip", "Philip"), ("Chloe", "Cloe"), ("Lucas", "Lukas"),
    ("Smith", "Smyth"), ("Thompson", "Thomson"), ("Reid", "Read", "Reed"), ("Clarke", "Clark"),
    ("Davies", "Davis"), ("Phillips", "Philips"), ("McDonald", "MacDonald", "Macdonald"),
    ("Hussain", "Hussein", "Husain"), ("Ahmed", "Ahmad"), ("Rahman", "Rehman"),
    ("Mahmood", "Mahmud"), ("Begum", "Begom"), ("Brown", "Browne"), ("Stewart", "Stuart"),
    ("Byrne", "Burn"), ("Gallagher", "Gallacher"), ("Griffiths", "Griffith"),
)

# (seen, read as): OCR confusions from scanned forms
OCR_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("rn", "m"), ("m", "rn"), ("l", "1"), ("I", "l"), ("O", "0"), ("o", "0"), ("cl", "d"),
    ("d", "cl"), ("vv", "w"), ("w", "vv"), ("h", "b"), ("e", "c"), ("S", "5"), ("B", "8"),
    ("i", "l"), ("nn", "m"),
)

KEYBOARD_ROWS: tuple[str, ...] = ("qwertyuiop", "asdfghjkl", "zxcvbnm")

# twins with near-identical names; other twins get two unrelated names
TWIN_NAME_PAIRS: tuple[tuple[str, str, Sex, Sex], ...] = (
    ("Aidan", "Aiden", Sex.MALE, Sex.MALE), ("Ellie", "Elsie", Sex.FEMALE, Sex.FEMALE),
    ("Harry", "Harvey", Sex.MALE, Sex.MALE), ("Mia", "Maya", Sex.FEMALE, Sex.FEMALE),
    ("Lily", "Lola", Sex.FEMALE, Sex.FEMALE), ("Hassan", "Hussain", Sex.MALE, Sex.MALE),
    ("Jayden", "Jaden", Sex.MALE, Sex.MALE), ("Amelia", "Amelie", Sex.FEMALE, Sex.FEMALE),
    ("Louis", "Louise", Sex.MALE, Sex.FEMALE), ("Daniel", "Danielle", Sex.MALE, Sex.FEMALE),
    ("Frankie", "Freddie", Sex.MALE, Sex.MALE), ("Amir", "Amira", Sex.MALE, Sex.FEMALE),
)

STREETS: tuple[str, ...] = (
    "Albion Road", "Beech Grove", "Cedar Close", "Dock Street", "Elm Park Avenue",
    "Fairfield Way", "Gladstone Terrace", "Harrow Lane", "Ivy Court", "Jubilee Crescent",
    "Kingsway", "Larch Drive", "Mill Lane", "Newton Street", "Orchard Rise", "Priory Walk",
    "Queens Road", "Railway Cottages", "St Mary's Road", "Tannery Row", "Union Street",
    "Victoria Parade", "Wellington Road", "Yew Tree Gardens", "Coronation Street",
    "Foundry Lane", "Mosque Lane", "Temple Road", "Canal Side", "Hawthorn Avenue",
)

TOWNS: dict[str, tuple[str, ...]] = {
    "Ilford": ("IG1", "IG2", "IG3"), "Walthamstow": ("E17",), "Bradford": ("BD3", "BD7", "BD8"),
    "Leicester": ("LE2", "LE4", "LE5"), "Manchester": ("M13", "M14", "M8"),
    "Birmingham": ("B10", "B11", "B12"), "Luton": ("LU1", "LU2"), "Bristol": ("BS5", "BS6"),
}

# fmt: on

DISTRICTS: tuple[tuple[str, str], ...] = tuple(
    (town, district) for town, districts in TOWNS.items() for district in districts
)
