"""Synthetic personal names, written for Therapia: a mix of the cultures of a British city.

Every name here is common and belongs to no one in particular; combinations are drawn at
random, so any resemblance to a real client is chance. Draws always come from the caller's
`random.Random`, never from global state, so a seed reproduces the same people.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from enum import Enum


class Gender(Enum):
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"


@dataclass(frozen=True)
class Culture:
    key: str
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    # Preferred languages other than English (BCP 47) and how often each is chosen.
    languages: tuple[tuple[str, float], ...] = ()
    # Polish and Czech family names take a feminine form (-ski → -ska).
    gendered_family_names: bool = False


@dataclass(frozen=True)
class PersonName:
    given: str
    family: str
    preferred: str
    gender: Gender
    culture: str

    @property
    def display(self) -> str:
        return f"{self.preferred or self.given} {self.family}"


CULTURES: tuple[Culture, ...] = (
    Culture(
        key="english",
        weight=36,
        female=("Olivia", "Amelia", "Isla", "Grace", "Emily", "Charlotte", "Sophie", "Hannah",
                "Lucy", "Eleanor", "Chloe", "Megan", "Rebecca", "Claire", "Joanne", "Susan",
                "Margaret", "Elizabeth", "Samantha", "Harriet", "Zoë", "Abigail", "Beth"),
        male=("Oliver", "George", "Harry", "Jack", "Thomas", "James", "William", "Daniel",
              "Samuel", "Matthew", "Ben", "Liam", "Ryan", "Stephen", "Paul", "David", "Graham",
              "Christopher", "Nicholas", "Jonathan", "Alexander", "Edward", "Toby"),
        family=("Smith", "Jones", "Taylor", "Brown", "Wilson", "Davies", "Evans", "Roberts",
                "Walker", "Wright", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris",
                "Clarke", "Turner", "Cooper", "Hill", "Ward", "Baker", "Fletcher", "Marsh",
                "Pennington", "Holloway", "Ashworth", "Thornton", "Barker", "Cartwright"),
    ),
    Culture(
        key="irish_scottish_welsh",
        weight=8,
        female=("Siobhán", "Aoife", "Niamh", "Ciara", "Fiona", "Mhairi", "Eilidh", "Cerys",
                "Ffion", "Seren", "Rhian", "Orla"),
        male=("Cian", "Oisín", "Declan", "Ruairí", "Callum", "Euan", "Fraser", "Rhys", "Dafydd",
              "Gethin", "Owain", "Seamus"),
        family=("Murphy", "O'Brien", "Byrne", "Kelly", "Gallagher", "MacLeod", "Campbell",
                "Sinclair", "McAllister", "Pritchard", "Llewellyn", "Bowen", "Griffiths", "Pugh",
                "O'Sullivan", "MacDonald"),
        languages=(("cy", 0.04), ("ga", 0.02), ("gd", 0.02)),
    ),
    Culture(
        key="pakistani",
        weight=5,
        female=("Aisha", "Ayesha", "Fatima", "Zainab", "Rukhsana", "Shabana", "Hina", "Sana"),
        male=("Imran", "Bilal", "Hamza", "Tariq", "Asif", "Muhammad", "Usman", "Zubair"),
        family=("Khan", "Ahmed", "Hussain", "Iqbal", "Malik", "Mahmood", "Ali", "Butt"),
        languages=(("ur", 0.20), ("pa", 0.05)),
    ),
    Culture(
        key="indian",
        weight=5,
        female=("Priya", "Ananya", "Meera", "Anjali", "Kavita", "Deepa", "Lakshmi"),
        male=("Arjun", "Rohan", "Sanjay", "Vikram", "Nikhil", "Rajesh", "Karthik"),
        family=("Patel", "Shah", "Sharma", "Mistry", "Bhatt", "Nair", "Iyer", "Desai"),
        languages=(("gu", 0.08), ("hi", 0.04), ("ta", 0.03)),
    ),
    Culture(
        key="punjabi_sikh",
        weight=3,
        female=("Harpreet", "Simran", "Jaspreet", "Manjit", "Navneet", "Rajinder"),
        male=("Gurpreet", "Amandeep", "Harjit", "Kuldeep", "Sukhdev", "Jaswinder"),
        family=("Singh", "Gill", "Sandhu", "Dhillon", "Sidhu", "Bains"),
        languages=(("pa", 0.15),),
    ),
    Culture(
        key="bangladeshi",
        weight=3,
        female=("Nusrat", "Sadia", "Taslima", "Farzana", "Shirin", "Rokeya"),
        male=("Rahim", "Farhan", "Shafiq", "Jamal", "Anwar", "Rafiq"),
        family=("Chowdhury", "Rahman", "Miah", "Uddin", "Hossain", "Islam"),
        languages=(("bn", 0.25),),
    ),
    Culture(
        key="polish",
        weight=6,
        female=("Agnieszka", "Katarzyna", "Zofia", "Magdalena", "Ewa", "Joanna", "Aleksandra",
                "Małgorzata"),
        male=("Łukasz", "Piotr", "Tomasz", "Krzysztof", "Michał", "Jakub", "Marek", "Paweł"),
        family=("Kowalski", "Nowak", "Wiśniewski", "Zieliński", "Lewandowski", "Wójcik",
                "Kamiński", "Mazur", "Nowicki", "Jankowski"),
        languages=(("pl", 0.30),),
        gendered_family_names=True,
    ),
    Culture(
        key="romanian",
        weight=3,
        female=("Andreea", "Ioana", "Elena", "Cristina", "Mihaela"),
        male=("Mihai", "Andrei", "Ionuț", "Bogdan", "Florin"),
        family=("Popescu", "Ionescu", "Dumitru", "Stan", "Constantin", "Radu"),
        languages=(("ro", 0.30),),
    ),
    Culture(
        key="west_african",
        weight=6,
        female=("Adaeze", "Chiamaka", "Ngozi", "Folake", "Ama", "Abena", "Kemi", "Yetunde",
                "Efua"),
        male=("Chinedu", "Oluwaseun", "Kwame", "Kofi", "Emeka", "Tunde", "Kwabena", "Femi",
              "Obinna"),
        family=("Okafor", "Adeyemi", "Mensah", "Boateng", "Okonkwo", "Balogun", "Asante",
                "Owusu", "Eze", "Oyelaran"),
        languages=(("yo", 0.03), ("tw", 0.03)),
    ),
    Culture(
        key="caribbean",
        weight=4,
        female=("Marcia", "Shanice", "Keisha", "Tanisha", "Paulette", "Precious"),
        male=("Delroy", "Winston", "Jermaine", "Leroy", "Marlon", "Desmond"),
        family=("Francis", "Grant", "Reid", "Campbell", "Thompson", "Richards",
                "Clarke-Bennett"),
    ),
    Culture(
        key="somali",
        weight=3,
        female=("Hodan", "Amina", "Fadumo", "Ayaan", "Hibo", "Sahra"),
        male=("Abdi", "Mohamed", "Abdirahman", "Yusuf", "Liban", "Hassan"),
        family=("Warsame", "Farah", "Hassan", "Abdullahi", "Osman", "Jama", "Aden"),
        languages=(("so", 0.30), ("ar", 0.05)),
    ),
    Culture(
        key="hispanic",
        weight=4,
        female=("Lucía", "Valentina", "Camila", "Carmen", "Sofía", "Gabriela"),
        male=("Mateo", "Santiago", "Diego", "Alejandro", "Javier", "Andrés"),
        family=("García", "Rodríguez", "Martínez", "López", "Hernández", "Fernández", "Morales",
                "Castillo", "Ramírez"),
        languages=(("es", 0.35),),
    ),
    Culture(
        key="lusophone",
        weight=3,
        female=("Ana", "Beatriz", "Mariana", "Inês", "Joana"),
        male=("João", "Tiago", "Rafael", "Pedro", "Gonçalo"),
        family=("Silva", "Santos", "Oliveira", "Pereira", "Costa", "Ferreira"),
        languages=(("pt", 0.30),),
    ),
    Culture(
        key="arab",
        weight=3,
        female=("Layla", "Noor", "Yasmin", "Rania", "Mariam", "Dalia"),
        male=("Omar", "Karim", "Yusuf", "Ahmad", "Sami", "Tarek"),
        family=("Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hamdan", "Aziz"),
        languages=(("ar", 0.25),),
    ),
    Culture(
        key="turkish_kurdish",
        weight=3,
        female=("Elif", "Zeynep", "Ayşe", "Dilan", "Merve"),
        male=("Emre", "Mehmet", "Can", "Baran", "Serkan"),
        family=("Yılmaz", "Demir", "Kaya", "Şahin", "Çelik", "Aydın"),  # noqa: RUF001
        languages=(("tr", 0.20), ("ku", 0.05)),
    ),
    Culture(
        key="chinese",
        weight=3,
        female=("Mei", "Xinyi", "Wen", "Jing", "Yan"),
        male=("Wei", "Jun", "Jiahao", "Hao", "Zhiwei"),
        family=("Chen", "Wang", "Li", "Zhang", "Liu", "Huang"),
        languages=(("zh", 0.20),),
    ),
    Culture(
        key="vietnamese",
        weight=2,
        female=("Linh", "Thu", "Mai", "Hoa"),
        male=("Minh", "Duc", "Tuan", "Khanh"),
        family=("Nguyen", "Tran", "Pham", "Le", "Hoang"),
        languages=(("vi", 0.20),),
    ),
    Culture(
        key="korean",
        weight=1,
        female=("Ji-woo", "Seo-yeon", "Min-ji"),
        male=("Min-jun", "Ji-ho", "Seung-hyun"),
        family=("Kim", "Park", "Lee", "Choi"),
        languages=(("ko", 0.15),),
    ),
    Culture(
        key="japanese",
        weight=1,
        female=("Aiko", "Yuna", "Hana", "Sakura"),
        male=("Hiroshi", "Kenji", "Haruto", "Takumi"),
        family=("Tanaka", "Sato", "Suzuki", "Takahashi", "Watanabe"),
        languages=(("ja", 0.10),),
    ),
)

NEUTRAL_GIVEN = ("Alex", "Sam", "Jordan", "Robin", "Charlie", "Riley", "Frankie", "Jesse",
                 "Ash", "Kai", "River", "Morgan", "Quinn", "Sky")

# Names people often go by instead of the legal one.
NICKNAMES = {
    "Alexander": "Alex", "Katarzyna": "Kasia", "Margaret": "Maggie", "Oluwaseun": "Seun",
    "Muhammad": "Mo", "Elizabeth": "Liz", "Jonathan": "Jon", "Christopher": "Chris",
    "Samantha": "Sam", "Małgorzata": "Gosia", "Aleksandra": "Ola", "Rebecca": "Becky",
    "Nicholas": "Nick", "Xinyi": "Cindy", "Jiahao": "Jack", "Abdirahman": "Abdi",
    "Gabriela": "Gabi", "Obinna": "Obi", "Chiamaka": "Amaka", "Krzysztof": "Krzys",
    "Valentina": "Vale", "Edward": "Ned", "Harriet": "Hattie",
}

_FEMININE_ENDINGS = (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka"))
_ASCII = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "ß": "ss", "\u0131": "i", "đ": "d", "'": ""})


def pick_culture(rng: random.Random) -> Culture:
    return rng.choices(CULTURES, weights=[culture.weight for culture in CULTURES])[0]


def culture_named(key: str) -> Culture:
    return next(culture for culture in CULTURES if culture.key == key)


def pick_gender(rng: random.Random, *, non_binary_share: float = 0.05) -> Gender:
    roll = rng.random()
    if roll < non_binary_share:
        return Gender.NON_BINARY
    return Gender.WOMAN if roll < non_binary_share + (1 - non_binary_share) * 0.55 else Gender.MAN


def family_name_for(family: str, gender: Gender, culture: Culture) -> str:
    if not culture.gendered_family_names or gender is not Gender.WOMAN:
        return family
    for masculine, feminine in _FEMININE_ENDINGS:
        if family.endswith(masculine):
            return family[: -len(masculine)] + feminine
    return family


def masculine_family_name(family: str) -> str:
    """The household form of a family name ('Kowalska' → 'Kowalski')."""
    for masculine, feminine in _FEMININE_ENDINGS:
        if family.endswith(feminine):
            return family[: -len(feminine)] + masculine
    return family


def given_name(rng: random.Random, gender: Gender, culture: Culture) -> str:
    if gender is Gender.WOMAN:
        return rng.choice(culture.female)
    if gender is Gender.MAN:
        return rng.choice(culture.male)
    if rng.random() < 0.6:
        return rng.choice(NEUTRAL_GIVEN)
    return rng.choice(culture.female + culture.male)


def person_name(
    rng: random.Random,
    *,
    culture: Culture | None = None,
    gender: Gender | None = None,
    family: str | None = None,
) -> PersonName:
    """A person; pass `family` to keep a household's family name (its masculine form)."""
    culture = culture or pick_culture(rng)
    gender = gender or pick_gender(rng)
    given = given_name(rng, gender, culture)
    surname = family_name_for(family or rng.choice(culture.family), gender, culture)
    nickname = NICKNAMES.get(given, "")
    preferred = nickname if nickname and rng.random() < 0.6 else ""
    return PersonName(given=given, family=surname, preferred=preferred, gender=gender,
                      culture=culture.key)


def pronouns_for(rng: random.Random, gender: Gender) -> str:
    roll = rng.random()
    if gender is Gender.WOMAN:
        return "she/her" if roll < 0.95 else "she/they"
    if gender is Gender.MAN:
        return "he/him" if roll < 0.96 else "he/they"
    return "they/them" if roll < 0.85 else "ze/zir"


def preferred_language(rng: random.Random, culture: Culture) -> str:
    roll = rng.random()
    for language, share in culture.languages:
        if roll < share:
            return language
        roll -= share
    return "en"


def ascii_slug(text: str) -> str:
    """'Łukasz O'Brien' → 'lukaszobrien': for synthetic e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(char for char in decomposed if char.isascii() and char.isalnum()).lower()
